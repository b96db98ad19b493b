import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO

/// What a run is made into: the request the runtime is sent for a claimed run, and the live events
/// of its start, end and data, each built through the spec's event types.
struct RunPayloads: Sendable {
    let database: Database
    let pubsub: any PubSub

    /// A run as the claim's `UPDATE … RETURNING` gives it.
    struct ClaimedRun: Sendable {
        var runId: UUID
        var envId: UUID
        var streamId: UUID
        var projectId: UUID?
        var buildId: UUID?
        var runType: String
        var eventId: UUID?
        var scheduleId: UUID?
        var ns: String?
        var name: String?
        var metaJSON: String
        var attempt: Int
        var module: String?

        static let columns = """
            r.run_id, r.env_id, r.stream_id, r.project_id, r.build_id, r.run_type, r.event_id, r.schedule_id,
            r.ns, r.var, r.meta::text, r.attempt, r.module
            """
        typealias Row = (UUID, UUID, UUID, UUID?, UUID?, String, UUID?, UUID?, String?, String?, String, Int, String?)

        init(_ row: Row) {
            (runId, envId, streamId, projectId, buildId, runType, eventId, scheduleId, ns, name, metaJSON, attempt, module) = row
        }

        /// Whether anything can run it: its project and build (and so its function) still exist.
        var isRunnable: Bool { projectId != nil && buildId != nil && ns != nil && name != nil }
    }

    /// What the runtime is sent for a claimed run: its handler, event or schedule, and the project's
    /// decrypted context.
    func request(for run: ClaimedRun, contexts: ContextStore) async throws -> LeaseQueue.Claim {
        guard let projectId = run.projectId, let buildId = run.buildId, let ns = run.ns, let name = run.name else {
            throw RunStore.RowError(description: "run \(run.runId) has no project, build or function to run")
        }
        let meta: JSONValue
        do {
            meta = try JSONValue.parse(Data(run.metaJSON.utf8))
        } catch {
            // jsonb's text always parses; should it not, the run goes without its handler's meta.
            database.logger.warning("a handler's meta could not be read; the run is sent without it", metadata: [
                "run_id": .string(run.runId.lowercased), "error": "\(error)",
            ])
            meta = .object([:])
        }
        var event: RuntimeRequest.Event?
        if let eventId = run.eventId {
            let rows = try await database.query("""
                SELECT event_type, event_data::text, event_time FROM event WHERE event_id = \(eventId)
                """).all((String, String, Date).self)
            if let (type, data, time) = rows.first {
                event = .init(eventId: eventId, eventType: type, eventData: try JSONValue.parse(Data(data.utf8)), eventTime: time)
            }
        }
        var schedule: RuntimeRequest.Schedule?
        if let scheduleId = run.scheduleId {
            let cron = try await database.query("SELECT cron FROM schedule WHERE schedule_id = \(scheduleId)").all(String.self).first
            schedule = .init(scheduleId: scheduleId, cron: cron ?? "")
        }
        let request = RuntimeRequest(
            runId: run.runId, runType: run.runType, streamId: run.streamId, envId: run.envId, projectId: projectId, buildId: buildId,
            handler: .init(ns: ns, var: name, meta: meta), event: event, schedule: schedule,
            context: try await contexts.values(projectId: projectId))
        let retries: Int = switch meta["retry"] {
        case .int(let count)?: Int(count)
        default: 0
        }
        return LeaseQueue.Claim(request: request, attempt: run.attempt, retries: retries, module: run.module)
    }

    // MARK: Live events

    /// The run events a run's life publishes.
    enum RunEvent {
        case start, stop, fail
    }

    /// A run as its live events show it: as `GET /v1/runs/{id}` does, with its function and how
    /// long it took (the env feed's flat fields).
    struct RunEventRow {
        var run: Run
        var fnName: String?
        var durationMs: Int?

        static let columns = "\(RunStore.columns), r.ns, r.var, (extract(epoch FROM (r.stop_time - r.start_time)) * 1000)::float8"
        typealias Row = (UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?, String?, String?, Double?)

        init(_ row: Row) throws {
            run = try RunStore.run((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12))
            fnName = row.13.flatMap { ns in row.14.map { "\(ns)/\($0)" } }
            durationMs = row.15.map { Int($0.rounded()) }
        }
    }

    /// `run:start`, `run:stop` or `run:fail` with the run as `GET /v1/runs/{id}` shows it; the env
    /// feed's form adds the flat fields of its examples.
    func publish(runId: UUID, event: RunEvent, connection: PostgresConnection) async throws {
        let logger = database.logger
        let rows = try await connection.query("""
            SELECT \(unescaped: RunEventRow.columns) FROM \(unescaped: RunStore.from) WHERE r.run_id = \(runId)
            """, logger: logger).all(RunEventRow.Row.self)
        guard let row = try rows.first.map(RunEventRow.init) else { return }
        let (run, fnName, durationMs) = (row.run, row.fnName, row.durationMs)
        let message: StreamMessages.Outgoing
        switch event {
        case .start:
            message = .init(envId: run.envId, streamId: run.streamId, projectId: run.projectId,
                            RunStartEvent(type: RunStartEvent.event, run: run),
                            env: EnvRunStartEvent(runId: run.runId, streamId: run.streamId, runType: run.runType, type: EnvRunStartEvent.event,
                                                  envId: run.envId, eventId: run.eventId, projectId: run.projectId, fnName: fnName, run: run))
        case .stop:
            message = .init(envId: run.envId, streamId: run.streamId, projectId: run.projectId,
                            RunStopEvent(type: RunStopEvent.event, run: run),
                            env: EnvRunStopEvent(runId: run.runId, streamId: run.streamId, runType: run.runType, type: EnvRunStopEvent.event,
                                                 envId: run.envId, eventId: run.eventId, projectId: run.projectId, fnName: fnName,
                                                 durationMs: durationMs, run: run))
        case .fail:
            let error: String? = switch run.result {
            case .string(let text)?: text
            case let other?: String(decoding: JSONOutput.encode(other), as: UTF8.self)
            case nil: nil
            }
            message = .init(envId: run.envId, streamId: run.streamId, projectId: run.projectId,
                            RunFailEvent(type: RunFailEvent.event, run: run),
                            env: EnvRunFailEvent(runId: run.runId, streamId: run.streamId, runType: run.runType, type: EnvRunFailEvent.event,
                                                 envId: run.envId, eventId: run.eventId, projectId: run.projectId, fnName: fnName,
                                                 durationMs: durationMs, error: error, run: run))
        }
        try await pubsub.publish(message, on: connection, logger: logger)
    }

    /// `stream:data`: what the runtime streams while a run is in flight.
    func publishData(_ data: RuntimeData, of request: RuntimeRequest) async throws {
        try await pubsub.publish(.init(
            envId: request.envId, streamId: request.streamId, projectId: request.projectId,
            StreamDataEvent(type: StreamDataEvent.event, runId: request.runId, dataType: data.dataType, payload: data.payload)))
    }
}

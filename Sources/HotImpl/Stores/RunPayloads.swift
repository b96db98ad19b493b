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

    /// A run as the claim's statement gives it: the run as its live messages show it, what the
    /// runtime is sent for it (its event, its schedule's cron, its project's sealed context),
    /// read in the statement that claims it.
    struct ClaimedRun: Sendable {
        var shown: RunEventRow
        var ns: String?
        var name: String?
        var scheduleId: UUID?
        var metaJSON: String
        var attempt: Int
        var module: String?
        var event: (type: String, data: String, time: Date)?
        var cron: String?
        /// The project's context variables as stored (key, sealed value).
        var sealedContext: [(key: String, sealed: String)]
        /// A call's caller as its event stores it (`event.caller`), and the metadata of the
        /// credential it names: a service key's sealed, a session's as JSON text.
        var caller: (json: String, sealedKeyMetadata: String?, sessionMetadata: String?)?
        /// The trace it continues, when one was stored with it.
        var trace: TraceContext?

        var runId: UUID { shown.run.runId }

        /// Over the claimed run `r` (a CTE of the claim's statement) and its project `p`, event
        /// `e`, schedule `s` and context `c` (keys and sealed values, as arrays).
        static let columns = """
            \(RunEventRow.columns), r.schedule_id, r.meta::text, r.attempt, r.module,
            e.event_type, e.event_data::text, e.event_time, s.cron, c.keys, c.sealed,
            e.caller::text, sk.metadata_sealed, ss.metadata::text, r.traceparent, r.tracestate
            """
        static let joins = """
            LEFT JOIN project p ON p.project_id = r.project_id
            LEFT JOIN event e ON e.event_id = r.event_id
            LEFT JOIN schedule s ON s.schedule_id = r.schedule_id
            LEFT JOIN LATERAL (
                SELECT array_agg(key ORDER BY key) AS keys, array_agg(value_sealed ORDER BY key) AS sealed
                FROM context_variable WHERE project_id = r.project_id
            ) c ON true
            LEFT JOIN service_key sk ON e.caller->'credential'->>'kind' = 'service_key'
                AND sk.service_key_id = (e.caller->'credential'->>'id')::uuid
            LEFT JOIN session ss ON e.caller->'credential'->>'kind' = 'session'
                AND ss.session_id = (e.caller->'credential'->>'id')::uuid
            """
        typealias Row = (UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?, Int, Date?,
                         String?, String?, Double?,
                         UUID?, String, Int, String?, String?, String?, Date?, String?, [String]?, [String]?, String?, String?, String?,
                         String?, String?)

        init(_ row: Row) throws {
            shown = try RunEventRow((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12,
                                     row.13, row.14, row.15, row.16, row.17))
            (ns, name) = (row.15, row.16)
            (scheduleId, metaJSON, attempt, module) = (row.18, row.19, row.20, row.21)
            if let type = row.22, let data = row.23, let time = row.24 { event = (type, data, time) }
            cron = row.25
            sealedContext = Array(zip(row.26 ?? [], row.27 ?? [])).map { (key: $0.0, sealed: $0.1) }
            caller = row.28.map { ($0, row.29, row.30) }
            trace = TraceContext(traceparent: row.31, tracestate: row.32)
        }

        /// Whether anything can run it: its project and build (and so its function) still exist.
        var isRunnable: Bool { shown.run.projectId != nil && shown.run.buildId != nil && ns != nil && name != nil }
    }

    /// What the runtime is sent for a claimed run: its handler, event or schedule, and the project's
    /// decrypted context.
    func request(for claimed: ClaimedRun, contexts: ContextStore) throws -> LeaseQueue.Claim {
        let run = claimed.shown.run
        guard let projectId = run.projectId, let buildId = run.buildId, let ns = claimed.ns, let name = claimed.name else {
            throw RunStore.RowError(description: "run \(run.runId) has no project, build or function to run")
        }
        let meta: JSONValue
        do {
            meta = try JSONValue.parse(Data(claimed.metaJSON.utf8))
        } catch {
            // jsonb's text always parses; should it not, the run goes without its handler's meta.
            database.logger.warning("a handler's meta could not be read; the run is sent without it", metadata: [
                "run_id": .string(run.runId.lowercased), "error": "\(error)",
            ])
            meta = .object([:])
        }
        var event: RuntimeRequest.Event?
        if let eventId = run.eventId, let (type, data, time) = claimed.event {
            event = .init(eventId: eventId, eventType: type, eventData: try JSONValue.parse(Data(data.utf8)), eventTime: time)
        }
        let schedule = claimed.scheduleId.map { RuntimeRequest.Schedule(scheduleId: $0, cron: claimed.cron ?? "") }
        let request = RuntimeRequest(
            runId: run.runId, runType: run.runType.rawValue, streamId: run.streamId, envId: run.envId, projectId: projectId, buildId: buildId,
            handler: .init(ns: ns, var: name, meta: meta), event: event, schedule: schedule,
            context: try contexts.open(claimed.sealedContext, projectId: projectId), caller: try caller(of: claimed, box: contexts.box))
        let retries: Int = switch meta["retry"] {
        case .int(let count)?: Int(count)
        default: 0
        }
        return LeaseQueue.Claim(request: request, trace: claimed.trace, attempt: claimed.attempt, retries: retries, module: claimed.module)
    }

    /// The request's `caller`: the event's, with the credential's metadata (a service key's
    /// decrypted) in `credential.metadata`.
    func caller(of claimed: ClaimedRun, box: SecretBox) throws -> JSONValue? {
        guard let (json, sealed, sessionMetadata) = claimed.caller, case .object(var fields) = try JSONValue.parse(Data(json.utf8)) else {
            return nil
        }
        if case .object(var credential)? = fields["credential"] {
            var metadata: JSONValue = .null
            if let sealed {
                metadata = try JSONValue.parse(try box.open(sealed))
            } else if let sessionMetadata {
                metadata = try JSONValue.parse(Data(sessionMetadata.utf8))
            }
            credential["metadata"] = metadata
            fields["credential"] = .object(credential)
        }
        return .object(fields)
    }

    // MARK: Live events

    /// The run events a run's life publishes.
    enum RunEvent {
        case start, stop, fail
    }

    /// A run as its live events show it: as `GET /v1/runs/{id}` does, with its function and how
    /// long it took (the env feed's flat fields).
    struct RunEventRow: Sendable {
        var run: Run
        var fnName: String?
        var durationMs: Int?

        static let columns = "\(RunStore.columns), r.ns, r.var, (extract(epoch FROM (r.stop_time - r.start_time)) * 1000)::float8"
        typealias Row = (UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?, Int, Date?,
                         String?, String?, Double?)

        init(_ row: Row) throws {
            run = try RunStore.run((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13,
                                    row.14))
            fnName = row.15.flatMap { ns in row.16.map { "\(ns)/\($0)" } }
            durationMs = row.17.map { Int($0.rounded()) }
        }
    }

    /// `run:start`, `run:stop` or `run:fail` with the run as `GET /v1/runs/{id}` shows it (`row`: as
    /// the statement that changed it returned it); the env feed's form adds the flat fields of its examples.
    func publish(_ row: RunEventRow, event: RunEvent, connection: PostgresConnection) async throws {
        let logger = database.logger
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

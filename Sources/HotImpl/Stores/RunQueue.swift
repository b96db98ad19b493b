import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO

/// The durable queue: events are routed into runs, runs are claimed by workers under a lease and
/// finished (or retried). Every step is a transaction that also writes its live messages, so what
/// subscribers see is what committed.
public struct RunQueue: Sendable {
    let database: Database
    let pubsub: any PubSub

    public init(database: Database, pubsub: any PubSub) {
        self.database = database
        self.pubsub = pubsub
    }

    // MARK: Routing

    /// Routes up to `limit` events: one queued run per matching handler of the deployed builds of
    /// the env's active projects; the event is then handled (`event:handled`), with or without
    /// runs. Returns how many events were routed.
    public func route(limit: Int = 20) async throws -> Int {
        try await database.transaction { connection in
            let logger = database.logger
            let events = try await connection.query("""
                SELECT event_id, env_id, stream_id, event_type FROM event WHERE routed_at IS NULL
                ORDER BY created_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger).all((UUID, UUID, UUID, String).self)
            var queued = 0
            for (eventId, envId, streamId, eventType) in events {
                let handlers = try await connection.query("""
                    SELECT h.event_handler_id, h.build_id, h.project_id, h.ns, h.var, h.meta::text
                    FROM event_handler h
                    JOIN build b ON b.build_id = h.build_id AND b.deployed
                    JOIN project p ON p.project_id = h.project_id AND p.active
                    WHERE p.env_id = \(envId) AND h.event_type = \(eventType)
                    ORDER BY h.project_id, h.position
                    """, logger: logger).all((UUID, UUID, UUID, String, String, String).self)
                if !handlers.isEmpty {
                    let ids = handlers.map { _ in UUID.v7() }
                    try await connection.query("""
                        INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, run_type, status,
                                         event_handler_id, ns, var, meta)
                        SELECT id, \(envId), project_id, build_id, \(streamId), \(eventId), 'event', 'queued', handler_id, ns, var, meta::jsonb
                        FROM unnest(\(ids), \(handlers.map(\.2)), \(handlers.map(\.1)), \(handlers.map(\.0)),
                                    \(handlers.map(\.3)), \(handlers.map(\.4)), \(handlers.map(\.5)))
                             AS h(id, project_id, build_id, handler_id, ns, var, meta)
                        """, logger: logger)
                    try await connection.query("INSERT INTO run_job (run_id) SELECT unnest(\(ids))", logger: logger)
                    queued += ids.count
                }
                try await connection.query("UPDATE event SET routed_at = now() WHERE event_id = \(eventId)", logger: logger)
                try await pubsub.publish(.init(envId: envId, streamId: streamId, EnvEventHandledEvent(
                    eventId: eventId, streamId: streamId, eventType: eventType, type: EnvEventHandledEvent.event, envId: envId,
                    runCount: handlers.count)), on: connection, logger: logger)
            }
            if queued > 0 { try await Notifications.wakeWorkers(on: connection, logger: logger) }
            return events.count
        }
    }

    // MARK: Schedules

    /// Queues the run of one schedule firing, unless another process already did (the firing's row
    /// is the claim). Returns the run id when this call queued it.
    public func fire(_ schedule: DeployedSchedule, at fireTime: Date) async throws -> UUID? {
        try await database.transaction { connection in
            let logger = database.logger
            let runId = UUID.v7()
            let claimed = try await connection.query("""
                INSERT INTO schedule_firing (schedule_id, fire_time, run_id) VALUES (\(schedule.scheduleId), \(fireTime), \(runId))
                ON CONFLICT DO NOTHING RETURNING run_id
                """, logger: logger).all(UUID.self)
            guard !claimed.isEmpty else { return nil }
            let streamId = UUID.v7()
            try await connection.query("INSERT INTO stream (stream_id, env_id) VALUES (\(streamId), \(schedule.envId))", logger: logger)
            try await connection.query("""
                INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, schedule_id, run_type, status, ns, var, meta)
                VALUES (\(runId), \(schedule.envId), \(schedule.projectId), \(schedule.buildId), \(streamId), \(schedule.scheduleId),
                        'schedule', 'queued', \(schedule.ns), \(schedule.var), \(schedule.metaJSON)::jsonb)
                """, logger: logger)
            try await connection.query("INSERT INTO run_job (run_id) VALUES (\(runId))", logger: logger)
            try await pubsub.publish(.init(envId: schedule.envId, streamId: streamId, EnvStreamCreatedEvent.created(streamId, in: schedule.envId)),
                                     on: connection, logger: logger)
            try await Notifications.wakeWorkers(on: connection, logger: logger)
            return runId
        }
    }

    /// A schedule of a deployed build of an active project.
    public struct DeployedSchedule: Sendable, Equatable {
        public var scheduleId: UUID
        public var envId: UUID
        public var projectId: UUID
        public var buildId: UUID
        public var cron: String
        public var ns: String
        public var `var`: String
        public var metaJSON: String
    }

    public func deployedSchedules() async throws -> [DeployedSchedule] {
        try await database.query("""
            SELECT s.schedule_id, p.env_id, s.project_id, s.build_id, s.cron, s.ns, s.var, s.meta::text
            FROM schedule s
            JOIN build b ON b.build_id = s.build_id AND b.deployed
            JOIN project p ON p.project_id = s.project_id AND p.active
            """).all((UUID, UUID, UUID, UUID, String, String, String, String).self).map {
            DeployedSchedule(scheduleId: $0.0, envId: $0.1, projectId: $0.2, buildId: $0.3, cron: $0.4, ns: $0.5, var: $0.6, metaJSON: $0.7)
        }
    }

    // MARK: Execution

    /// A run a worker holds.
    public struct Claim: Sendable {
        public var request: RuntimeRequest
        public var attempt: Int
        /// `retry` of the handler's meta: how many times a failure is retried.
        public var retries: Int
    }

    /// Claims the next ready run (FOR UPDATE SKIP LOCKED) under a lease and marks it running
    /// (`run:start`). A run whose earlier worker lost its lease is claimed again.
    public func claim(worker: String, lease: Duration, contexts: ContextStore) async throws -> Claim? {
        let leaseSeconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        let claimed = try await database.transaction { connection -> (UUID, UUID, UUID, UUID, UUID, String, UUID?, UUID?, String, String, String, Int)? in
            let logger = database.logger
            let rows = try await connection.query("""
                WITH j AS (
                    UPDATE run_job SET locked_until = now() + make_interval(secs => \(leaseSeconds)), locked_by = \(worker)
                    WHERE run_id = (
                        SELECT run_id FROM run_job
                        WHERE available_at <= now() AND (locked_until IS NULL OR locked_until < now())
                        ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING run_id
                )
                UPDATE run r SET status = 'running', start_time = now(), stop_time = NULL, result = NULL
                FROM j WHERE r.run_id = j.run_id
                RETURNING r.run_id, r.env_id, r.stream_id, r.project_id, r.build_id, r.run_type, r.event_id, r.schedule_id,
                          r.ns, r.var, r.meta::text, r.attempt
                """, logger: logger).all((UUID, UUID, UUID, UUID?, UUID?, String, UUID?, UUID?, String?, String?, String, Int).self)
            guard let row = rows.first else { return nil }
            guard let projectId = row.3, let buildId = row.4, let ns = row.8, let name = row.9 else {
                // Its project or build is gone: nothing can run it.
                try await finish(runId: row.0, status: "failed", result: .string("the run's project or build no longer exists"),
                                 worker: worker, connection: connection)
                return nil
            }
            try await publish(runId: row.0, event: .start, connection: connection)
            return (row.0, row.1, row.2, projectId, buildId, row.5, row.6, row.7, ns, name, row.10, row.11)
        }
        guard let (runId, envId, streamId, projectId, buildId, runType, eventId, scheduleId, ns, name, metaText, attempt) = claimed else {
            return nil
        }
        do {
            return try await prepare(
                runId: runId, envId: envId, streamId: streamId, projectId: projectId, buildId: buildId, runType: runType,
                eventId: eventId, scheduleId: scheduleId, ns: ns, name: name, metaText: metaText, attempt: attempt, contexts: contexts)
        } catch {
            // A run that cannot even be prepared (its context no longer decrypts, say) fails now
            // rather than coming back with every lease.
            database.logger.error("could not prepare a run", metadata: ["run_id": .string(runId.lowercased), "error": "\(error)"])
            _ = try await database.transaction { connection in
                try await finish(runId: runId, status: "failed", result: .string("the run could not be prepared for the runtime"),
                                 worker: worker, connection: connection)
            }
            return nil
        }
    }

    /// What the runtime is sent for a claimed run.
    private func prepare(runId: UUID, envId: UUID, streamId: UUID, projectId: UUID, buildId: UUID, runType: String,
                         eventId: UUID?, scheduleId: UUID?, ns: String, name: String, metaText: String, attempt: Int,
                         contexts: ContextStore) async throws -> Claim {
        let meta: JSONValue
        do {
            meta = try JSONValue.parse(Data(metaText.utf8))
        } catch {
            // jsonb's text always parses; should it not, the run goes without its handler's meta.
            database.logger.warning("a handler's meta could not be read; the run is sent without it", metadata: [
                "run_id": .string(runId.lowercased), "error": "\(error)",
            ])
            meta = .object([:])
        }
        var event: RuntimeRequest.Event?
        if let eventId {
            let rows = try await database.query("""
                SELECT event_type, event_data::text, event_time FROM event WHERE event_id = \(eventId)
                """).all((String, String, Date).self)
            if let (type, data, time) = rows.first {
                event = .init(eventId: eventId, eventType: type, eventData: try JSONValue.parse(Data(data.utf8)), eventTime: time)
            }
        }
        var schedule: RuntimeRequest.Schedule?
        if let scheduleId {
            let cron = try await database.query("SELECT cron FROM schedule WHERE schedule_id = \(scheduleId)").all(String.self).first
            schedule = .init(scheduleId: scheduleId, cron: cron ?? "")
        }
        let request = RuntimeRequest(
            runId: runId, runType: runType, streamId: streamId, envId: envId, projectId: projectId, buildId: buildId,
            handler: .init(ns: ns, var: name, meta: meta), event: event, schedule: schedule,
            context: try await contexts.values(projectId: projectId))
        let retries: Int = switch meta["retry"] {
        case .int(let count)?: Int(count)
        default: 0
        }
        return Claim(request: request, attempt: attempt, retries: retries)
    }

    /// Extends the lease of a run this worker holds; false when it lost it.
    public func renew(runId: UUID, worker: String, lease: Duration) async throws -> Bool {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        return !(try await database.query("""
            UPDATE run_job SET locked_until = now() + make_interval(secs => \(seconds))
            WHERE run_id = \(runId) AND locked_by = \(worker) RETURNING run_id
            """).all(UUID.self)).isEmpty
    }

    /// Gives a claimed run back to the queue at once (its worker is stopping).
    public func release(runId: UUID, worker: String) async throws {
        try await database.query("""
            UPDATE run_job SET locked_until = NULL, locked_by = NULL WHERE run_id = \(runId) AND locked_by = \(worker)
            """)
    }

    /// Ends a claimed run with its outcome (`run:stop` or `run:fail`). A failure with retries
    /// left queues a new run linked by `origin_run_id`, available after `backoff`.
    /// Returns the retry's run id, if one was queued.
    @discardableResult
    public func complete(_ claim: Claim, outcome: RuntimeOutcome, worker: String, backoff: Duration) async throws -> UUID? {
        let backoffSeconds = Double(backoff.components.seconds) + Double(backoff.components.attoseconds) / 1e18
        return try await database.transaction { connection in
            let logger = database.logger
            let runId = claim.request.runId
            let (status, result): (String, JSONValue) = switch outcome {
            case .succeeded(let value): ("succeeded", value)
            case .failed(let error): ("failed", error)
            }
            guard try await finish(runId: runId, status: status, result: result, worker: worker, connection: connection) else {
                return nil
            }
            guard status == "failed", claim.attempt <= claim.retries else { return nil }
            let retryId = UUID.v7()
            try await connection.query("""
                INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, schedule_id, origin_run_id, run_type, status,
                                 event_handler_id, ns, var, meta, attempt)
                SELECT \(retryId), env_id, project_id, build_id, stream_id, event_id, schedule_id, run_id, run_type, 'queued',
                       event_handler_id, ns, var, meta, attempt + 1
                FROM run WHERE run_id = \(runId)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO run_job (run_id, available_at) VALUES (\(retryId), now() + make_interval(secs => \(backoffSeconds)))
                """, logger: logger)
            return retryId
        }
    }

    /// Records the run's end and releases its job, with the live message. False when the run was
    /// no longer this worker's to finish (its lease went to another worker, which runs it again).
    @discardableResult
    func finish(runId: UUID, status: String, result: JSONValue, worker: String, connection: PostgresConnection) async throws -> Bool {
        let logger = database.logger
        let released = try await connection.query("""
            DELETE FROM run_job WHERE run_id = \(runId) AND locked_by = \(worker) RETURNING run_id
            """, logger: logger).all(UUID.self)
        guard !released.isEmpty else { return false }
        database.metrics?.runEnded(status: status)
        let resultText = String(decoding: try result.serialized(), as: UTF8.self)
        try await connection.query("""
            UPDATE run SET status = \(status), result = \(resultText)::jsonb, stop_time = now() WHERE run_id = \(runId)
            """, logger: logger)
        try await publish(runId: runId, event: status == "succeeded" ? .stop : .fail, connection: connection)
        return true
    }

    /// The run events the queue publishes.
    enum RunEvent {
        case start, stop, fail
    }

    /// `run:start`, `run:stop` or `run:fail` with the run as `GET /v1/runs/{id}` shows it; the env
    /// feed's form adds the flat fields of its examples.
    func publish(runId: UUID, event: RunEvent, connection: PostgresConnection) async throws {
        let logger = database.logger
        let rows = try await connection.query("""
            SELECT \(unescaped: RunStore.columns), r.ns, r.var, (extract(epoch FROM (r.stop_time - r.start_time)) * 1000)::float8
            FROM \(unescaped: RunStore.from) WHERE r.run_id = \(runId)
            """, logger: logger).all((UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?,
                                      String?, String?, Double?).self)
        guard let row = rows.first else { return }
        let run = try RunStore.run((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12))
        let fnName = row.13.flatMap { ns in row.14.map { "\(ns)/\($0)" } }
        let durationMs = row.15.map { Int($0.rounded()) }
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
    public func publishData(_ data: RuntimeData, of request: RuntimeRequest) async throws {
        try await pubsub.publish(.init(
            envId: request.envId, streamId: request.streamId, projectId: request.projectId,
            StreamDataEvent(type: StreamDataEvent.event, runId: request.runId, dataType: data.dataType, payload: data.payload)))
    }
}

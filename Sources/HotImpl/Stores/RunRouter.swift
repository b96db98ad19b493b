import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO
import Synchronization
import Tracing

/// Where runs come from: events routed to the handlers of the deployed builds, and schedule firings.
/// Each step is a transaction that also writes its live messages, so what subscribers see is what
/// committed; queued runs wake the workers (`LeaseQueue` hands them out).
public struct RunRouter: Sendable {
    let database: Database
    let pubsub: any PubSub

    public init(database: Database, pubsub: any PubSub) {
        self.database = database
        self.pubsub = pubsub
    }

    // MARK: Events

    /// A handler of a deployed build of an active project, as routing reads it.
    struct HandlerRow {
        var handlerId: UUID
        var buildId: UUID
        var projectId: UUID
        var ns: String
        var name: String
        var metaJSON: String
        /// Its WebAssembly module's entry ('' without one: unnest binds no optional arrays).
        var module: String

        init(_ row: (UUID, UUID, UUID, String, String, String, String)) {
            (handlerId, buildId, projectId, ns, name, metaJSON, module) = row
        }
    }

    /// Routes up to `limit` events: one queued run per matching handler of the deployed builds of
    /// the env's active projects; the event is then handled (`event:handled`), with or without
    /// runs. Returns how many events were routed.
    public func route(limit: Int = 20) async throws -> Int {
        try await route(limit: limit, claimingWith: nil).events
    }

    /// What a worker's routing did.
    struct Routing: Sendable {
        /// How many events were routed.
        var events: Int
        /// The run the worker claimed in the routing transaction, if any.
        var claimed: RunPayloads.ClaimedRun?
    }

    /// Routes as `route(limit:)` does; when `claimingWith` names a worker, that worker then claims
    /// the next ready run in the same transaction: often one it just queued, which so starts
    /// without a commit and a wake-up in between (and an idle worker's look for work is one
    /// transaction, not two). Other workers are woken only for queued runs left unclaimed.
    ///
    /// When tracing is on, each event published in a trace is routed in a span of that trace
    /// (`route <event_type>`, from the transaction's start to its end), whose context its runs keep.
    func route(limit: Int = 20, claimingWith claiming: (queue: LeaseQueue, claimant: LeaseQueue.Claimant)?) async throws -> Routing {
        guard HotTracing.isEnabled else { return try await route(limit: limit, claimingWith: claiming, spans: nil) }
        let spans = RouteSpans(start: HotTracing.now)
        do {
            let routing = try await route(limit: limit, claimingWith: claiming, spans: spans)
            spans.end(failure: nil)
            return routing
        } catch {
            spans.end(failure: error)
            throw error
        }
    }

    /// The spans of the events one routing transaction takes, ended with it.
    private final class RouteSpans: Sendable {
        let start: DefaultTracerClock.Instant
        private let spans = Mutex<[any Span]>([])

        init(start: DefaultTracerClock.Instant) {
            self.start = start
        }

        /// A span continuing the trace the event was published in; the context its runs keep.
        func route(_ event: RoutedEvent) -> TraceContext? {
            guard let trace = event.trace,
                  let span = HotTracing.start("route \(event.eventType)", ofKind: .consumer, context: trace.context, at: start)
            else { return nil }
            span.updateAttributes { attributes in
                attributes["hot.event_id"] = event.eventId.lowercased
                attributes["hot.event_type"] = event.eventType
                attributes["hot.run_count"] = event.eventType == FunctionCall.eventType ? 1 : event.handlers.count
            }
            spans.withLock { $0.append(span) }
            return TraceContext(of: span.context)
        }

        func end(failure: (any Error)?) {
            for span in spans.withLock({ $0 }) {
                if let failure {
                    span.recordError(failure)
                    span.setStatus(.init(code: .error))
                }
                span.end()
            }
        }
    }

    private func route(limit: Int, claimingWith claiming: (queue: LeaseQueue, claimant: LeaseQueue.Claimant)?,
                       spans: RouteSpans?) async throws -> Routing {
        try await database.transaction { connection in
            let logger = database.logger
            // The events are marked routed as they are taken, each with the handlers that take it
            // (none for a call, whose function comes along: it was checked when the event was published).
            // Prepared once a connection: planning this statement costs five times running it (bench/RESULTS.md).
            var rows: [RoutingStatement.Row] = []
            for try await row in try await connection.execute(RoutingStatement(limit: limit), logger: logger) { rows.append(row) }
            var events: [RoutedEvent] = []
            for row in rows {
                if events.last?.eventId != row.0 {
                    events.append(RoutedEvent(eventId: row.0, envId: row.1, streamId: row.2, eventType: row.3, fn: row.4,
                                              trace: TraceContext(traceparent: row.12, tracestate: row.13)))
                }
                if let handlerId = row.5, let buildId = row.6, let projectId = row.7, let ns = row.8, let name = row.9, let meta = row.10 {
                    events[events.count - 1].handlers.append(HandlerRow((handlerId, buildId, projectId, ns, name, meta, row.11)))
                }
            }
            if let spans {
                for index in events.indices { events[index].runTrace = spans.route(events[index]) }
            }
            // One run per handler of each event, queued in one statement; a call's run on its own.
            var queued: [UUID] = []
            var runCounts: [Int] = []
            var runs: [QueuedRun] = []
            for event in events {
                if event.eventType == FunctionCall.eventType {
                    let called = try await queueCallRun(eventId: event.eventId, envId: event.envId, streamId: event.streamId, fn: event.fn,
                                                        trace: event.runTrace, connection: connection)
                    queued += called.map { [$0] } ?? []
                    runCounts.append(called == nil ? 0 : 1)
                } else {
                    runs += event.handlers.map { QueuedRun(id: UUID.v7(), event: event, handler: $0) }
                    runCounts.append(event.handlers.count)
                }
            }
            if !runs.isEmpty {
                try await connection.query("""
                    WITH queued AS (
                        INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, run_type, status,
                                         event_handler_id, ns, var, meta, module, traceparent, tracestate)
                        SELECT id, env_id, project_id, build_id, stream_id, event_id, 'event', 'queued', handler_id, ns, var,
                               meta::jsonb, NULLIF(module, ''), NULLIF(traceparent, ''), NULLIF(tracestate, '')
                        FROM unnest(\(runs.map(\.id)), \(runs.map(\.event.envId)), \(runs.map(\.handler.projectId)),
                                    \(runs.map(\.handler.buildId)), \(runs.map(\.event.streamId)), \(runs.map(\.event.eventId)),
                                    \(runs.map(\.handler.handlerId)), \(runs.map(\.handler.ns)), \(runs.map(\.handler.name)),
                                    \(runs.map(\.handler.metaJSON)), \(runs.map(\.handler.module)),
                                    \(runs.map { $0.event.runTrace?.traceparent ?? "" }), \(runs.map { $0.event.runTrace?.tracestate ?? "" }))
                             AS h(id, env_id, project_id, build_id, stream_id, event_id, handler_id, ns, var, meta, module,
                                  traceparent, tracestate)
                        RETURNING run_id, module
                    )
                    INSERT INTO run_job (run_id, embedded) SELECT run_id, module IS NOT NULL FROM queued
                    """, logger: logger)
                queued += runs.map(\.id)
            }
            for (event, runCount) in zip(events, runCounts) {
                try await markHandled(eventId: event.eventId, envId: event.envId, streamId: event.streamId, eventType: event.eventType,
                                      runCount: runCount, connection: connection)
            }
            var claimed: RunPayloads.ClaimedRun?
            if let (queue, claimant) = claiming {
                claimed = try await queue.claimNext(for: claimant, connection: connection)
            }
            // A run claimed here needs no other worker; one it did not claim does.
            if queued.count > (claimed.map { queued.contains($0.runId) } == true ? 1 : 0) {
                try await Notifications.wakeWorkers(on: connection, logger: logger)
            }
            return Routing(events: events.count, claimed: claimed)
        }
    }

    /// An event being routed, with the handlers that take it.
    fileprivate struct RoutedEvent {
        var eventId: UUID
        var envId: UUID
        var streamId: UUID
        var eventType: String
        /// A call's function.
        var fn: String?
        /// The trace it was published in, when tracing was on.
        var trace: TraceContext?
        var handlers: [HandlerRow] = []
        /// What its runs keep: its routing span's context.
        var runTrace: TraceContext?
    }

    /// The run of one handler of an event being routed.
    private struct QueuedRun {
        var id: UUID
        var event: RoutedEvent
        var handler: HandlerRow
    }

    /// The event is routed (`event:handled`), with the runs it made.
    private func markHandled(eventId: UUID, envId: UUID, streamId: UUID, eventType: String, runCount: Int,
                             connection: PostgresConnection) async throws {
        let logger = database.logger
        try await pubsub.publish(.init(envId: envId, streamId: streamId, EnvEventHandledEvent(
            eventId: eventId, streamId: streamId, eventType: eventType, type: EnvEventHandledEvent.event, envId: envId,
            runCount: runCount)), on: connection, logger: logger)
    }

    // MARK: Calls

    /// Queues the run of a `hot:call` (docs/calls.md): the function as a deployed build of an active
    /// project of the env declares it (any section of its manifest: handlers, schedules, tools, webhooks), else the module a deployed build
    /// keeps for its namespace (`<ns path>.wasm`, then `.wat`), which runs with `argv = [<var>]`. When
    /// several projects have it, the oldest project's wins. Returns false when none has it: the event
    /// is then handled without a run.
    func queueCall(eventId: UUID, envId: UUID, streamId: UUID, fn: String?, connection: PostgresConnection) async throws -> Bool {
        try await queueCallRun(eventId: eventId, envId: envId, streamId: streamId, fn: fn, trace: .current, connection: connection) != nil
    }

    /// Queues the run of a `hot:call` as `queueCall` does; returns the run's id, nil when no
    /// deployed build has the function. The run keeps `trace`, when given.
    func queueCallRun(eventId: UUID, envId: UUID, streamId: UUID, fn: String?, trace: TraceContext?,
                      connection: PostgresConnection) async throws -> UUID? {
        let logger = database.logger
        guard let fn, let call = try? FunctionCall(fn: fn) else { return nil }
        let base = BundleModules.path(ofNamespace: call.ns)
        let targets = try await connection.query("""
            SELECT t.build_id, t.project_id, t.meta::text, t.module FROM (
                SELECT h.build_id, h.project_id, h.meta, h.module, 0 AS rank FROM event_handler h
                WHERE h.ns = \(call.ns) AND h.var = \(call.name)
                UNION ALL
                SELECT s.build_id, s.project_id, s.meta, s.module, 0 FROM schedule s
                WHERE s.ns = \(call.ns) AND s.var = \(call.name)
                UNION ALL
                SELECT mt.build_id, mt.project_id, mt.meta, mt.module, 0 FROM mcp_tool mt
                WHERE mt.ns = \(call.ns) AND mt.var = \(call.name)
                UNION ALL
                SELECT w.build_id, w.project_id, w.meta, w.module, 0 FROM webhook w
                WHERE w.ns = \(call.ns) AND w.var = \(call.name)
                UNION ALL
                SELECT m.build_id, b.project_id, '{}'::jsonb, m.path, CASE WHEN m.path LIKE '%.wasm' THEN 1 ELSE 2 END
                FROM build_module m JOIN build b ON b.build_id = m.build_id
                WHERE m.path IN (\(base + ".wasm"), \(base + ".wat"))
            ) t
            JOIN build b ON b.build_id = t.build_id AND b.deployed
            JOIN project p ON p.project_id = t.project_id AND p.active AND p.env_id = \(envId)
            ORDER BY t.rank, p.created_at, p.project_id LIMIT 1
            """, logger: logger).all((UUID, UUID, String, String?).self)
        guard let (buildId, projectId, metaJSON, module) = targets.first else {
            logger.notice("a call names a function no deployed build has; it makes no run", metadata: [
                "event_id": .string(eventId.lowercased), "fn": .string(fn),
            ])
            return nil
        }
        let runId = UUID.v7()
        try await connection.query("""
            WITH queued AS (
                INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, run_type, status, ns, var, meta, module,
                                 traceparent, tracestate)
                VALUES (\(runId), \(envId), \(projectId), \(buildId), \(streamId), \(eventId), 'call', 'queued',
                        \(call.ns), \(call.name), \(metaJSON)::jsonb, \(module), \(trace?.traceparent), \(trace?.tracestate))
                RETURNING run_id
            )
            INSERT INTO run_job (run_id, embedded) SELECT run_id, \(module != nil) FROM queued
            """, logger: logger)
        return runId
    }

    // MARK: Schedules

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
        /// Its WebAssembly module's entry, when its build carries one.
        public var module: String?
    }

    public func deployedSchedules() async throws -> [DeployedSchedule] {
        try await database.query("""
            SELECT s.schedule_id, p.env_id, s.project_id, s.build_id, s.cron, s.ns, s.var, s.meta::text, s.module
            FROM schedule s
            JOIN build b ON b.build_id = s.build_id AND b.deployed
            JOIN project p ON p.project_id = s.project_id AND p.active
            """).all((UUID, UUID, UUID, UUID, String, String, String, String, String?).self).map {
            DeployedSchedule(scheduleId: $0.0, envId: $0.1, projectId: $0.2, buildId: $0.3, cron: $0.4, ns: $0.5, var: $0.6, metaJSON: $0.7,
                             module: $0.8)
        }
    }

    /// Queues the run of one schedule firing, unless another process already did (the firing's row
    /// is the claim). Returns the run id when this call queued it.
    /// Traced as `schedule <fn>` (a trace of its own), which the run continues.
    public func fire(_ schedule: DeployedSchedule, at fireTime: Date) async throws -> UUID? {
        try await HotTracing.span("schedule \(schedule.ns)/\(schedule.var)", ofKind: .producer, context: .topLevel) { span in
            span?.attributes["hot.schedule_id"] = schedule.scheduleId.lowercased
            return try await queue(schedule, at: fireTime, trace: .current)
        }
    }

    private func queue(_ schedule: DeployedSchedule, at fireTime: Date, trace: TraceContext?) async throws -> UUID? {
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
                WITH queued AS (
                    INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, schedule_id, run_type, status, ns, var, meta, module,
                                     traceparent, tracestate)
                    VALUES (\(runId), \(schedule.envId), \(schedule.projectId), \(schedule.buildId), \(streamId), \(schedule.scheduleId),
                            'schedule', 'queued', \(schedule.ns), \(schedule.var), \(schedule.metaJSON)::jsonb, \(schedule.module),
                            \(trace?.traceparent), \(trace?.tracestate))
                    RETURNING run_id
                )
                INSERT INTO run_job (run_id, embedded) SELECT run_id, \(schedule.module != nil) FROM queued
                """, logger: logger)
            try await pubsub.publish(.init(envId: schedule.envId, streamId: streamId, EnvStreamCreatedEvent.created(streamId, in: schedule.envId)),
                                     on: connection, logger: logger)
            try await Notifications.wakeWorkers(on: connection, logger: logger)
            return runId
        }
    }
}

/// The routing poll (`RunRouter`) as a named prepared statement: parsed and planned once a
/// connection instead of at every pass.
struct RoutingStatement: PostgresPreparedStatement {
    typealias Row = (UUID, UUID, UUID, String, String?, UUID?, UUID?, UUID?, String?, String?, String?, String, String?, String?)
    static let name = "hot_route_events"
    static let sql = """
        WITH routed AS (
            UPDATE event SET routed_at = now()
            WHERE event_id IN (
                SELECT event_id FROM event WHERE routed_at IS NULL
                ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING event_id, env_id, stream_id, event_type, created_at,
                      CASE WHEN event_type = $2 THEN event_data->>'fn' END AS fn, traceparent, tracestate
        )
        SELECT e.event_id, e.env_id, e.stream_id, e.event_type, e.fn,
               h.event_handler_id, h.build_id, h.project_id, h.ns, h.var, h.meta::text, coalesce(h.module, ''),
               e.traceparent, e.tracestate
        FROM routed e LEFT JOIN LATERAL (
            SELECT h.event_handler_id, h.build_id, h.project_id, h.ns, h.var, h.meta, h.module, h.position
            FROM event_handler h
            JOIN build b ON b.build_id = h.build_id AND b.deployed
            JOIN project p ON p.project_id = h.project_id AND p.active
            WHERE p.env_id = e.env_id AND h.event_type = e.event_type AND e.event_type <> $2
        ) h ON true
        ORDER BY e.created_at, e.event_id, h.project_id, h.position
        """
    let limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(limit)
        bindings.append(FunctionCall.eventType)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

import Foundation
import HotRuntime
import Logging
import PostgresNIO

/// The durable queue of runs: a worker claims the next ready run under a lease, renews the lease
/// while the run is in flight, and completes it (or gives it back); a worker that dies loses its
/// lease and the run is claimed again. Every step is a transaction that also writes its live
/// messages (`RunPayloads`), so what subscribers see is what committed.
public struct LeaseQueue: Sendable {
    let database: Database
    let payloads: RunPayloads

    public init(database: Database, pubsub: any PubSub) {
        self.database = database
        self.payloads = RunPayloads(database: database, pubsub: pubsub)
    }

    /// A run a worker holds.
    public struct Claim: Sendable {
        public var request: RuntimeRequest
        /// The trace the run continues (of the request or schedule that made it), when one was stored.
        var trace: TraceContext?
        public var attempt: Int
        /// `retry` of the handler's meta: how many times a failure is retried.
        public var retries: Int
        /// The zip entry of its WebAssembly module, when its build carries one: the embedded
        /// runtime runs it, else the HTTP runtime.
        public var module: String?
    }

    /// Who claims a run: a worker, the lease it takes, and which runs it can execute.
    struct Claimant: Sendable {
        var worker: String
        var lease: Duration
        /// Only runs of functions with a WebAssembly module (the process has no HTTP runtime).
        var embeddedOnly: Bool
    }

    /// Claims the next ready run (FOR UPDATE SKIP LOCKED) under a lease and marks it running
    /// (`run:start`). A run whose earlier worker lost its lease is claimed again. `embeddedOnly`:
    /// only runs of functions with a WebAssembly module (the process has no HTTP runtime).
    public func claim(worker: String, lease: Duration, contexts: ContextStore, embeddedOnly: Bool = false) async throws -> Claim? {
        let claimant = Claimant(worker: worker, lease: lease, embeddedOnly: embeddedOnly)
        guard let claimed = try await database.transaction({ connection in try await claimNext(for: claimant, connection: connection) }) else {
            return nil
        }
        return try await prepare(claimed, worker: worker, contexts: contexts)
    }

    /// Claims the next ready run as part of the transaction `connection` is in (the routing
    /// worker's, which may claim a run it just queued): one statement takes the run with its
    /// event, schedule and sealed context, a second publishes `run:start` from what it returned.
    func claimNext(for claimant: Claimant, connection: PostgresConnection) async throws -> RunPayloads.ClaimedRun? {
        let logger = database.logger
        // Prepared once a connection: planning this statement costs ten times running it (bench/RESULTS.md).
        var rows: [RunPayloads.ClaimedRun.Row] = []
        for try await row in try await connection.execute(ClaimStatement(claimant: claimant), logger: logger) { rows.append(row) }
        guard let run = try rows.first.map(RunPayloads.ClaimedRun.init) else { return nil }
        guard run.isRunnable else {
            // Its project or build is gone: nothing can run it.
            try await finish(runId: run.runId, status: "failed", result: .string("the run's project or build no longer exists"),
                             worker: claimant.worker, connection: connection)
            return nil
        }
        try await payloads.publish(run.shown, event: .start, connection: connection)
        return run
    }

    /// What the runtime is sent for a run this worker claimed. A run that cannot even be prepared
    /// (its context no longer decrypts, say) fails now rather than coming back with every lease.
    func prepare(_ claimed: RunPayloads.ClaimedRun, worker: String, contexts: ContextStore) async throws -> Claim? {
        do {
            return try payloads.request(for: claimed, contexts: contexts)
        } catch {
            database.logger.error("could not prepare a run", metadata: ["run_id": .string(claimed.runId.lowercased), "error": "\(error)"])
            _ = try await database.transaction { connection in
                try await finish(runId: claimed.runId, status: "failed", result: .string("the run could not be prepared for the runtime"),
                                 worker: worker, connection: connection)
            }
            return nil
        }
    }

    /// Extends the lease of a run this worker holds; false when it lost it.
    public func renew(runId: UUID, worker: String, lease: Duration) async throws -> Bool {
        !(try await database.query("""
            UPDATE run_job SET locked_until = now() + make_interval(secs => \(Self.seconds(lease)))
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
        try await database.transaction { connection in
            let logger = database.logger
            let runId = claim.request.runId
            let (status, result): (String, JSONValue) = switch outcome {
            case .succeeded(let value): ("succeeded", value)
            case .failed(let error): ("failed", error)
            }
            let retries = status == "failed" && claim.attempt <= claim.retries
            guard try await finish(runId: runId, status: status, result: result, worker: worker, retryAfter: retries ? backoff : nil,
                                   connection: connection) else {
                return nil
            }
            guard retries else { return nil }
            let retryId = UUID.v7()
            try await connection.query("""
                WITH retry AS (
                    INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, schedule_id, origin_run_id, run_type, status,
                                     event_handler_id, ns, var, meta, attempt, module, traceparent, tracestate)
                    SELECT \(retryId), env_id, project_id, build_id, stream_id, event_id, schedule_id, run_id, run_type, 'queued',
                           event_handler_id, ns, var, meta, attempt + 1, module, traceparent, tracestate
                    FROM run WHERE run_id = \(runId)
                    RETURNING run_id
                )
                INSERT INTO run_job (run_id, available_at, embedded)
                SELECT retry.run_id, failed.next_retry_at, \(claim.module != nil) FROM retry, run failed WHERE failed.run_id = \(runId)
                """, logger: logger)
            return retryId
        }
    }

    /// `stream:data`: what the runtime streams while a run is in flight.
    public func publishData(_ data: RuntimeData, of request: RuntimeRequest) async throws {
        try await payloads.publishData(data, of: request)
    }

    /// Records the run's end and releases its job, with the live message built from what the
    /// statement returned. False when the run was no longer this worker's to finish (its lease went
    /// to another worker, which runs it again).
    @discardableResult
    /// `retryAfter`: the run is retried after that long (`next_retry_at`); nil: it is not.
    func finish(runId: UUID, status: String, result: JSONValue, worker: String, retryAfter: Duration? = nil,
                connection: PostgresConnection) async throws -> Bool {
        let logger = database.logger
        let resultText = String(decoding: try result.serialized(), as: UTF8.self)
        let rows = try await connection.query("""
            WITH released AS (
                DELETE FROM run_job WHERE run_id = \(runId) AND locked_by = \(worker) RETURNING run_id
            ), r AS (
                UPDATE run r SET status = \(status), result = \(resultText)::jsonb, stop_time = now(),
                    next_retry_at = now() + make_interval(secs => \(retryAfter.map(Self.seconds)))
                FROM released WHERE r.run_id = released.run_id
                RETURNING r.*
            )
            SELECT \(unescaped: RunPayloads.RunEventRow.columns) FROM r LEFT JOIN project p ON p.project_id = r.project_id
            """, logger: logger).all(RunPayloads.RunEventRow.Row.self)
        guard let row = try rows.first.map(RunPayloads.RunEventRow.init) else { return false }
        database.metrics?.runEnded(status: status)
        try await payloads.publish(row, event: status == "succeeded" ? .stop : .fail, connection: connection)
        return true
    }

    /// A duration as the fractional seconds `make_interval` takes.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The claim (`LeaseQueue.claimNext`) as a named prepared statement: PostgreSQL parses and plans it
/// once a connection instead of at every execution.
struct ClaimStatement: PostgresPreparedStatement {
    typealias Row = RunPayloads.ClaimedRun.Row
    static let name = "hot_claim_next_run"
    static let sql = """
        WITH j AS (
            UPDATE run_job SET locked_until = now() + make_interval(secs => $1), locked_by = $2
            WHERE run_id = (
                SELECT run_id FROM run_job
                WHERE available_at <= now() AND (locked_until IS NULL OR locked_until < now())
                  AND (embedded OR NOT $3)
                ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING run_id
        ), r AS (
            UPDATE run r SET status = 'running', start_time = now(), stop_time = NULL, result = NULL
            FROM j WHERE r.run_id = j.run_id
            RETURNING r.*
        )
        SELECT \(RunPayloads.ClaimedRun.columns) FROM r \(RunPayloads.ClaimedRun.joins)
        """
    let claimant: LeaseQueue.Claimant

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(LeaseQueue.seconds(claimant.lease))
        bindings.append(claimant.worker)
        bindings.append(claimant.embeddedOnly)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

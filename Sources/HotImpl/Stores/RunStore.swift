import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Runs as the API shows them.
public struct RunStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A run waiting for a runtime (`queued`) is shown as `running`: the API knows four statuses.
    static let columns = """
        r.run_id, r.env_id, r.stream_id, r.build_id, r.run_type,
        CASE r.status WHEN 'queued' THEN 'running' ELSE r.status END,
        r.start_time, r.stop_time, r.origin_run_id, r.event_id, r.result::text, r.project_id, p.name, r.attempt - 1, r.next_retry_at
        """
    static let from = "run r LEFT JOIN project p ON p.project_id = r.project_id"
    typealias Row = (UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?, Int, Date?)
    /// A row with one more column after the run's (a list's total, the raw status).
    typealias RowAnd<Extra> = (UUID, UUID, UUID, UUID?, String, String, Date, Date?, UUID?, UUID?, String?, UUID?, String?, Int, Date?, Extra)

    static func run<Extra>(_ row: RowAnd<Extra>) throws -> (Run, Extra) {
        (try run((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13, row.14)), row.15)
    }

    /// A page of runs from rows that carry `count(*) OVER ()` last.
    func page(_ rows: [RowAnd<Int>], request: PageRequest, count: PostgresQuery) async throws -> Page<Run> {
        let total = try await database.total(windowCount: rows.first?.15, page: request, count: count)
        return Page(items: try rows.map { try Self.run($0).0 }, total: total, limit: request.limit, offset: request.offset)
    }

    static func run(_ row: Row) throws -> Run {
        // The table's CHECK constraints keep both columns within the spec's enums.
        guard let runType = RunType(rawValue: row.4), let status = RunStatus(rawValue: row.5) else {
            throw RowError(description: "run \(row.0) has run_type '\(row.4)' and status '\(row.5)', outside the API's values")
        }
        return Run(runId: row.0, envId: row.1, streamId: row.2, buildId: row.3, runType: runType, status: status, startTime: row.6,
                   stopTime: row.7, originRunId: row.8, retryAttempt: row.13, nextRetryAt: row.14, eventId: row.9,
                   result: try row.10.map { try JSONValue.parse(Data($0.utf8)) }, projectId: row.11, projectName: row.12)
    }

    struct RowError: Error, CustomStringConvertible {
        var description: String
    }

    /// Filters of `GET /v1/runs` and its stats.
    public struct Filter: Sendable {
        public var status: RunStatus?
        public var type: RunType?
        /// Only runs started at or after this instant.
        public var since: Date?

        public init(status: RunStatus? = nil, type: RunType? = nil, since: Date? = nil) {
            self.status = status
            self.type = type
            self.since = since
        }
    }

    // The filter's condition is spelled out in each query: its values are bound parameters, and a
    // bound query cannot be spliced into another.

    /// `ids`: the run ids (exact and prefixes) the credential's `run:` grants cover; nil: all.
    public func list(envId: UUID, filter: Filter, ids: ProjectStore.NameFilter?, page: PageRequest) async throws -> Page<Run> {
        let all = ids == nil
        let exact = ids?.exact ?? []
        let prefixes = (ids?.prefixes ?? []).map { ProjectStore.likeEscaped($0) + "%" }
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER () FROM \(unescaped: Self.from)
            WHERE r.env_id = \(envId)
              AND (\(filter.status?.rawValue)::text IS NULL OR (CASE r.status WHEN 'queued' THEN 'running' ELSE r.status END) = \(filter.status?.rawValue))
              AND (\(filter.type?.rawValue)::text IS NULL OR r.run_type = \(filter.type?.rawValue))
              AND (\(filter.since)::timestamptz IS NULL OR r.start_time >= \(filter.since))
              AND (\(all) OR r.run_id::text = ANY(\(exact)) OR r.run_id::text LIKE ANY(\(prefixes)))
            ORDER BY r.start_time DESC, r.run_id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """).all(RowAnd<Int>.self)
        return try await self.page(rows, request: page, count: """
            SELECT count(*)::bigint FROM run r
            WHERE r.env_id = \(envId)
              AND (\(filter.status?.rawValue)::text IS NULL OR (CASE r.status WHEN 'queued' THEN 'running' ELSE r.status END) = \(filter.status?.rawValue))
              AND (\(filter.type?.rawValue)::text IS NULL OR r.run_type = \(filter.type?.rawValue))
              AND (\(filter.since)::timestamptz IS NULL OR r.start_time >= \(filter.since))
              AND (\(all) OR r.run_id::text = ANY(\(exact)) OR r.run_id::text LIKE ANY(\(prefixes)))
            """)
    }

    public func stats(envId: UUID, filter: Filter) async throws -> RunStats {
        let row = try await database.query("""
            SELECT count(*),
                   count(*) FILTER (WHERE r.status IN ('running', 'queued')),
                   count(*) FILTER (WHERE r.status = 'succeeded'),
                   count(*) FILTER (WHERE r.status = 'failed'),
                   count(*) FILTER (WHERE r.status = 'cancelled')
            FROM run r
            WHERE r.env_id = \(envId)
              AND (\(filter.status?.rawValue)::text IS NULL OR (CASE r.status WHEN 'queued' THEN 'running' ELSE r.status END) = \(filter.status?.rawValue))
              AND (\(filter.type?.rawValue)::text IS NULL OR r.run_type = \(filter.type?.rawValue))
              AND (\(filter.since)::timestamptz IS NULL OR r.start_time >= \(filter.since))
            """).all((Int, Int, Int, Int, Int).self)[0]
        return RunStats(totalRuns: row.0, running: row.1, succeeded: row.2, failed: row.3, cancelled: row.4)
    }

    public func find(envId: UUID, runId: UUID) async throws -> Run? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE r.env_id = \(envId) AND r.run_id = \(runId)
            """).all(Row.self).first.map(Self.run)
    }

    /// The runs an event triggered, oldest first.
    public func ofEvent(envId: UUID, eventId: UUID, page: PageRequest) async throws -> Page<Run> {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER () FROM \(unescaped: Self.from)
            WHERE r.env_id = \(envId) AND r.event_id = \(eventId)
            ORDER BY r.start_time, r.run_id LIMIT \(page.limit) OFFSET \(page.offset)
            """).all(RowAnd<Int>.self)
        return try await self.page(rows, request: page, count: """
            SELECT count(*)::bigint FROM run WHERE env_id = \(envId) AND event_id = \(eventId)
            """)
    }

    /// The stream's runs, oldest first (what a late subscriber is told on arrival).
    public func ofStream(envId: UUID, streamId: UUID) async throws -> [(run: Run, status: String)] {
        try await database.query("""
            SELECT \(unescaped: Self.columns), r.status FROM \(unescaped: Self.from)
            WHERE r.env_id = \(envId) AND r.stream_id = \(streamId) ORDER BY r.start_time, r.run_id LIMIT 1000
            """).all(RowAnd<String>.self).map { try Self.run($0) }
    }
}

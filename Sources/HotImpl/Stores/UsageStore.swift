import Foundation
import HotRuntime
import PostgresNIO

/// What an org has used, counted from its data.
public struct UsageStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct Usage: Sendable, Equatable {
        public var plan: String
        /// Runs started in the period, over every env of the org.
        public var runs: Int
        /// Bytes stored for the org: its build archives and its files.
        public var storedBytes: Int
        /// Schedules of the deployed builds of the org's active projects (the ones that fire).
        public var activeSchedules: Int = 0
    }

    /// The org's plan and usage in `[start, end)`; nil for an unknown org.
    public func usage(orgId: UUID, from start: Date, to end: Date) async throws -> Usage? {
        let rows = try await database.query("""
            SELECT o.plan,
                   (SELECT count(*) FROM run r JOIN env e ON e.env_id = r.env_id
                    WHERE e.org_id = o.org_id AND r.start_time >= \(start) AND r.start_time < \(end)),
                   \(unescaped: FileStore.storedBytes(org: "o.org_id")),
                   (SELECT count(*) FROM schedule s JOIN build b ON b.build_id = s.build_id AND b.deployed
                    JOIN project p ON p.project_id = s.project_id AND p.active JOIN env e ON e.env_id = p.env_id
                    WHERE e.org_id = o.org_id)
            FROM org o WHERE o.org_id = \(orgId)
            """).all((String, Int, Int, Int).self)
        return rows.first.map { Usage(plan: $0.0, runs: $0.1, storedBytes: $0.2, activeSchedules: $0.3) }
    }
}

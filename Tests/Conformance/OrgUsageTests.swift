import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import PostgresNIO
import Testing

@Suite("Org usage")
struct OrgUsageTests {
    /// Runs in `env`: `inPeriod` started now, one more started before this month.
    func insertRuns(env: UUID, inPeriod: Int, database: Database) async throws {
        let stream = UUID()
        try await database.client.query("INSERT INTO stream (stream_id, env_id) VALUES (\(stream), \(env))", logger: database.logger)
        try await database.client.query("""
            INSERT INTO run (run_id, env_id, stream_id, run_type, status, start_time)
            SELECT gen_random_uuid(), \(env), \(stream), 'event', 'succeeded', now() FROM generate_series(1, \(inPeriod))
            """, logger: database.logger)
        try await database.client.query("""
            INSERT INTO run (run_id, env_id, stream_id, run_type, status, start_time)
            VALUES (gen_random_uuid(), \(env), \(stream), 'event', 'succeeded',
                    date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 day')
            """, logger: database.logger)
    }

    @Test("a self-hosted org has no limits; runs of this month and stored build bytes are counted across its envs")
    func selfHosted() async throws {
        let server = try await TestServer.shared.running()
        let org = try await OrgStore(database: server.database).create(name: "usage-\(UUID().lowercased)", plan: "self-hosted")
        let tenant = try await Tenant.make(orgId: org.id)
        let sibling = try await Tenant.make(orgId: org.id)
        _ = try await tenant.createProject("app")
        let buildId = try await tenant.uploadBuild("app", zip: SampleBundle.zip)
        try await insertRuns(env: tenant.envId, inPeriod: 3, database: server.database)
        try await insertRuns(env: sibling.envId, inPeriod: 2, database: server.database)

        let reply = try await tenant.send(.GET, "/v1/org/usage")
        #expect(reply.status == 200)
        let data = try #require(reply.json?["data"])
        #expect(data["org_id"]?.stringValue == org.id.lowercased)
        #expect(data["usage"]?["runs_this_period"] == .int(5))
        #expect(data["usage"]?["file_storage_bytes"] == .int(Int64(SampleBundle.zip.count)))
        for limit in ["runs_per_month", "storage_bytes", "team_members", "call_retention_days", "call_storage_bytes"] {
            #expect(data["limits"]?[limit] == .int(-1), "\(limit)")
        }
        #expect(data["usage_percent"]?["has_warning"] == .bool(false))
        #expect(data["plan"]?["name"]?.stringValue == "Self-Hosted")
        for limit in ["store_storage_bytes", "compute_units_per_month", "compute_units_budget", "task_minutes_per_month", "active_schedules_per_org"] {
            #expect(data["limits"]?[limit] == .int(-1), "\(limit)")
        }
        // Schedules count once deployed: the sample bundle has one.
        #expect(data["usage"]?["active_schedules"] == .int(0))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        #expect(try await tenant.send(.GET, "/v1/org/usage").json?["data"]?["usage"]?["active_schedules"] == .int(1))
        // The period is this calendar month, in UTC.
        let (start, end) = HotService.billingPeriod(containing: Date())
        #expect(data["plan"]?["period_start"]?.stringValue == RFC3339.string(from: start))
        #expect(data["plan"]?["period_end"]?.stringValue == RFC3339.string(from: end))
        #expect(RFC3339.string(from: start).hasSuffix("-01T00:00:00Z"))
    }

    @Test("a pro org gets the plan's limits, percentages, and a warning over 90%")
    func proPlan() async throws {
        let server = try await TestServer.shared.running()
        let org = try await OrgStore(database: server.database).create(name: "usage-\(UUID().lowercased)", plan: "pro")
        let tenant = try await Tenant.make(orgId: org.id)
        let limits = PlanLimits.of(plan: "pro")
        try await insertRuns(env: tenant.envId, inPeriod: limits.runsPerMonth / 8, database: server.database)
        var data = try #require(try await tenant.send(.GET, "/v1/org/usage").json?["data"])
        #expect(data["limits"]?["runs_per_month"] == .int(Int64(limits.runsPerMonth)))
        #expect(data["usage_percent"]?["runs"] == .double(12.5))
        #expect(data["usage_percent"]?["has_warning"] == .bool(false))
        #expect(data["plan"]?["name"]?.stringValue == "Pro")

        try await insertRuns(env: tenant.envId, inPeriod: limits.runsPerMonth * 4 / 5, database: server.database)
        data = try #require(try await tenant.send(.GET, "/v1/org/usage").json?["data"])
        #expect(data["usage_percent"]?["runs"] == .double(92.5))
        #expect(data["usage_percent"]?["has_warning"] == .bool(true))
    }

    @Test("only API keys read org usage")
    func apiKeysOnly() async throws {
        let tenant = try await Tenant.make()
        let session = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#)
        let token = try #require(session.json?["data"]?["token"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/org/usage", token: token).status == 403)
    }
}

import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import PostgresNIO
import Testing

/// Rate limits across real `hot-server serve` processes sharing one database.
@Suite("Rate limits across processes")
struct RateLimitProcessTests {
    @Test("two serve processes hold a starter org to about its plan's rate, not twice it")
    func sharedAmongProcesses() async throws {
        let server = try await TestServer.shared.running()
        // A database of its own, so only these two processes heartbeat in it.
        let name = "hot_rate_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await server.database.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: server.logger)
        var configuration = server.configuration
        configuration.database = name
        let client = PostgresClient(configuration: configuration, backgroundLogger: server.logger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        try await Migrator(client: client, logger: server.logger).migrate()
        var components = try #require(URLComponents(string: server.databaseURL))
        components.path = "/\(name)"
        let url = try #require(components.string)

        // Their clocks stand still: buckets never refill, so what is admitted is the burst alone,
        // however slowly the requests go.
        let settings = ["HOT_DATABASE_URL": url, "HOT_FROZEN_CLOCK": "1"]
        let dataDirectory = try ServeProcess.dataDirectory("hot-rate")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let first = try await ServeProcess.start(dataDirectory, environment: settings)
        defer { if first.process.isRunning { first.process.terminate() } }
        let second = try await ServeProcess.start(dataDirectory, environment: settings)
        defer { if second.process.isRunning { second.process.terminate() } }

        var environment = ProcessInfo.processInfo.environment.merging(settings) { $1 }
        environment["HOT_LOG_LEVEL"] = "error"
        let plan = try await ChildProcess.run(CommandLineTests.executable, ["org", "set-plan", "starter"], environment: environment)
        #expect(plan.status == 0, "\(plan.stderr)")
        let key = try await ChildProcess.run(CommandLineTests.executable, ["keys", "create", "--name", "rate"], environment: environment)
        let token = try #require(key.stdout.split(separator: "\n").last.map(String.init))

        // Both have counted each other (each row says what its process divides by).
        try await Deadline.within(.seconds(30), waitingFor: "both processes to count two") {
            while true {
                let rows = try await client.query("SELECT count(*)::bigint FROM serving_process WHERE live_seen = 2", logger: server.logger)
                var counted = 0
                for try await count in rows.decode(Int.self) { counted = count }
                if counted == 2 { return }
                // Polls the heartbeat rows (no event to wait on); the deadline bounds it.
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        // A fixed number of requests, alternately to each process, eight at a time.
        let total = 80
        let bases = [first.baseURL, second.baseURL]
        var statuses: [Int] = []
        try await withThrowingTaskGroup(of: [Int].self) { group in
            for lane in 0..<8 {
                var tenant = Tenant(server: server, envId: UUID(), envName: "development", token: token, keyId: UUID())
                group.addTask {
                    var seen: [Int] = []
                    for index in stride(from: lane, to: total, by: 8) {
                        tenant.server.baseURL = bases[index % 2]
                        seen.append(try await tenant.send(.GET, "/v1/env").status)
                    }
                    return seen
                }
            }
            for try await seen in group { statuses += seen }
        }
        let admitted = statuses.filter { $0 == 200 }.count
        #expect(statuses.count == total)
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 }, "\(Set(statuses))")
        // The plan's burst of 20 for the deployment: 10 a process. Each applying the whole plan
        // would admit 40.
        #expect(admitted == 20, "admitted \(admitted) of \(total)")

        #expect(try await second.stop() == 0)
        #expect(try await first.stop() == 0)
        clientTask.cancel()
        _ = await clientTask.value
        try await server.database.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: server.logger)
    }
}

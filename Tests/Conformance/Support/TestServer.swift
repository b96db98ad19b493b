import Foundation
import HotImpl
import HotRuntime
import Hummingbird
import Logging
import PostgresNIO
import Synchronization

/// One throwaway PostgreSQL cluster and one hot-server per test process, shared by every suite
/// (tests isolate themselves by working in envs of their own). `HOT_TEST_DATABASE_URL` points the
/// tests at an existing database instead of a managed cluster.
actor TestServer {
    struct Running: Sendable {
        var baseURL: String
        var database: Database
        var orgId: UUID
        /// How `database` connects, for tests that open their own connections (e.g. to another database).
        var configuration: PostgresClient.Configuration
    }

    static let shared = TestServer()
    private var starting: Task<Running, any Error>?

    func running() async throws -> Running {
        if let starting { return try await starting.value }
        let task = Task { try await Self.start() }
        starting = task
        return try await task.value
    }

    private static func start() async throws -> Running {
        var logger = Logger(label: "hot-server.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["HOT_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let configuration: PostgresClient.Configuration
        if let url = ProcessInfo.processInfo.environment["HOT_TEST_DATABASE_URL"] {
            configuration = try DatabaseURL.configuration(url)
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-tests-\(UUID().lowercased)")
            let cluster = LocalCluster(
                configuration: LocalClusterConfiguration(dataDirectory: directory.appendingPathComponent("postgres"), durable: false),
                logger: logger)
            let endpoint = try await cluster.start()
            ClusterCleanup.register(postmasterPID: endpoint.postmasterPID, directory: directory.path)
            configuration = PostgresClient.Configuration(
                unixSocketPath: endpoint.socketPath, username: endpoint.username, password: nil, database: endpoint.database)
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        Task.detached { await client.run() }
        let database = Database(client: client, logger: logger)
        try await Migrator(client: client, logger: logger).migrate()
        let org = try await OrgStore(database: database).ensureDefault()

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = HotApplication.make(database: database, host: "127.0.0.1", port: 0, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        Task.detached { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return Running(baseURL: "http://127.0.0.1:\(port)", database: database, orgId: org.id, configuration: configuration)
    }
}

/// Stops the managed cluster and removes its directory when the test process exits (Swift
/// Testing has no global teardown).
enum ClusterCleanup {
    private static let cluster = Mutex<(pid: Int32, directory: String)?>(nil)

    static func register(postmasterPID: Int32, directory: String) {
        cluster.withLock { $0 = (postmasterPID, directory) }
        atexit {
            guard let (pid, directory) = ClusterCleanup.cluster.withLock({ $0 }) else { return }
            // Fast shutdown, then wait (up to 10 s) for the postmaster to go before removing its files.
            kill(pid, SIGINT)
            let deadline = Date().addingTimeInterval(10)
            while kill(pid, 0) == 0, Date() < deadline { usleep(20_000) }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

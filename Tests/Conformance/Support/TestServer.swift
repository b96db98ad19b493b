import Crypto
import Foundation
import HotWasm
import Generated
import HotImpl
import HotLocalCluster
import HotRuntime
import HotTestSupport
import HotUploads
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
        var logger: Logger
        /// What `HOT_DATABASE_URL` would be to reach the test database (for CLI tests).
        var databaseURL: String
        /// How `database` connects, for tests that open their own connections (e.g. to another database).
        var configuration: PostgresClient.Configuration
        /// Held so the managed cluster lives as long as the process (ClusterCleanup stops it at exit).
        var cluster: LocalCluster?
        /// This process's live messages (its hub fed by its notification listener).
        var pubsub: PostgresPubSub
        /// Where the workers send runs: answers as each test scripts it (`RuntimeScript`).
        var runtime: TestRuntime
        /// The process's credential cache, evicted by its listener, as a server process has.
        var credentialCache: CredentialCache
        /// The process's project cache, evicted by the same listener.
        var projectCache: ProjectCache

        /// Waits until the listener has evicted credential `id` from the cache: a change made outside
        /// the server (the CLI, a store called directly) reaches it by notification, milliseconds later.
        func evicted(_ id: UUID) async throws {
            let cache = credentialCache
            try await Deadline.within(.seconds(10), waitingFor: "the eviction of credential \(id)") {
                // Polls the cache (no event to wait on); the deadline bounds it.
                while cache.cached(id) != nil { try await Task.sleep(for: .milliseconds(5)) }
            }
        }

        /// An app of its own on the shared database (and cache), with the given clock, rate limits
        /// and `last_used_at` bookkeeping.
        func app(clock: any WallClock, rateLimits: RateLimitPolicy = .standard, usage: CredentialUsage = CredentialUsage(),
                 callTimeout: Duration = .seconds(30), fileMaxBytes: Int64? = TestServer.fileMaxBytes) async throws -> String {
            let environment = HotApplication.Environment(
                database: database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
                pubsub: pubsub, domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed, credentialCache: credentialCache,
                projectCache: projectCache, credentialUsage: usage, clock: clock, rateLimits: rateLimits, callTimeout: callTimeout,
                fileMaxBytes: fileMaxBytes)
            return try await TestServer.startApp(environment, logger: logger)
        }
    }

    static let shared = TestServer()
    private var starting: Task<Running, any Error>?
    private var frozen: Task<String, any Error>?
    private var away: Task<String, any Error>?

    /// A database whose PostgreSQL is nowhere (a socket path that does not exist): no connection
    /// ever comes, and a query gives up after `wait`.
    static func unreachableDatabase(logger: Logger, wait: Duration) -> Database {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("hot-nowhere-\(UUID().lowercased)/.s.PGSQL.5432")
        let client = PostgresClient(
            configuration: .init(unixSocketPath: nowhere.path, username: "hot", password: nil, database: "hot"), backgroundLogger: logger)
        // Runs as long as the test process: the database stands for one that is away, not closed.
        Task.detached { await client.run() }
        return Database(client: client, logger: logger, connectionWait: wait)
    }

    /// The whole app on a database that is away: every operation that needs it answers 503.
    func databaseAwayApp() async throws -> String {
        if let away { return try await away.value }
        let task = Task {
            let server = try await running()
            let database = Self.unreachableDatabase(logger: server.logger, wait: .milliseconds(100))
            let environment = HotApplication.Environment(
                database: database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
                pubsub: PostgresPubSub(database: database), domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed,
                clock: SystemWallClock(), fileMaxBytes: TestServer.fileMaxBytes)
            return try await TestServer.startApp(environment, logger: server.logger)
        }
        away = task
        return try await task.value
    }

    /// An app whose clock never moves, with the standard rate limits: a bucket emptied there stays
    /// empty, so a 429 can be produced deterministically.
    func frozenClockApp() async throws -> String {
        if let frozen { return try await frozen.value }
        let task = Task { try await running().app(clock: ManualWallClock()) }
        frozen = task
        return try await task.value
    }

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
        let databaseURL: String
        var cluster: LocalCluster?
        if let url = ProcessInfo.processInfo.environment["HOT_TEST_DATABASE_URL"] {
            configuration = try DatabaseURL.configuration(url)
            databaseURL = url
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-tests-\(UUID().lowercased)")
            let local = LocalCluster(
                configuration: LocalClusterConfiguration(dataDirectory: directory.appendingPathComponent("postgres"), durable: false),
                logger: logger)
            let endpoint = try await local.start()
            cluster = local
            ClusterCleanup.register(postmasterPID: endpoint.postmasterPID, directory: directory.path)
            databaseURL = endpoint.url
            configuration = PostgresClient.Configuration(
                unixSocketPath: endpoint.socketPath, username: endpoint.username, password: nil, database: endpoint.database)
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        Task.detached { await client.run() }
        let database = Database(client: client, logger: logger)
        try await Migrator(client: client, logger: logger).migrate()
        let org = try await OrgStore(database: database).ensureDefault()

        // Every test shares 127.0.0.1, and many test 401s: failed authentication is not throttled
        // here (its own tests start apps with the standard policy).
        let lenient = RateLimitPolicy(failedAuthenticationsPerSecond: 1_000_000, failedAuthenticationBurst: 1_000_000)
        // Notifications, workers and the scheduler, as a server process runs them.
        let pubsub = PostgresPubSub(database: database)
        let work = WorkSignal()
        let runtime = try await TestRuntime.start { run in RuntimeScript.shared.behaviour(for: run) }
        let httpRuntime = try HTTPRuntime(url: runtime.url, token: runtimeToken, timeout: .seconds(30), httpClient: .shared, logger: logger)
        let credentialCache = CredentialCache()
        let projectCache = ProjectCache()
        let usage = CredentialUsage()
        let usageWriter = usage.writer(database: database)
        Task.detached { try await usageWriter.run() }
        let listener = pubsub.listener(work: work, credentials: credentialCache, projects: projectCache)
        let embedded = EmbeddedRuntime(sandbox: sandbox, database: database, logger: logger)
        let workers = WorkerPool(database: database, pubsub: pubsub, secrets: testSecrets, runtime: httpRuntime, embedded: embedded, work: work,
                                 configuration: workerConfiguration, logger: logger)
        Task.detached { try await listener.run() }
        // Fast enough for the short feeds of LiveFeedTests.
        let ticker = HubTicker(hub: pubsub.hub, interval: .milliseconds(50))
        Task.detached { try await ticker.run() }
        Task.detached { try await workers.run() }

        let environment = HotApplication.Environment(
            database: database, secrets: testSecrets, storage: storage, uploads: uploads, pubsub: pubsub, domainProvider: domains, liveFeed: liveFeed,
            credentialCache: credentialCache, projectCache: projectCache, credentialUsage: usage, rateLimits: lenient,
            wasmLimits: sandbox.limits, fileMaxBytes: fileMaxBytes)
        let baseURL = try await startApp(environment, logger: logger)
        return Running(baseURL: baseURL, database: database, orgId: org.id, logger: logger, databaseURL: databaseURL,
                       configuration: configuration, cluster: cluster, pubsub: pubsub, runtime: runtime,
                       credentialCache: credentialCache, projectCache: projectCache)
    }

    static let testSecrets = SecretBox(key: SymmetricKey(size: .bits256))
    /// The embedded runtime of every test app: limits small enough for tests to cross quickly.
    static let sandbox = WasmSandbox(threads: 4, limits: .init(fuel: 2_000_000, memoryBytes: 16 << 20, timeout: .seconds(5)))
    /// Custom domains of every test app: scripted per domain name. No checker runs in the
    /// background; tests drive one (DomainChecker.pass) over their own envs.
    static let domains = ScriptedDomainProvider()

    /// Build archives and upload spools of every test app, in one throwaway directory.
    static let buildDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-test-builds-\(UUID().lowercased)")
    static let storage = FileBuildStorage(root: buildDirectory)
    /// Small enough that a test can cross it cheaply, large enough for a 10 MB manifest deflated.
    /// Above the largest bundle a test uploads (a 10 MB manifest, deflated to about 5.3 MB), and
    /// small enough that the oversized uploads stay quick in a debug build.
    static let maxBuildBytes: Int64 = 8 * 1024 * 1024
    /// The files API's largest file in tests (HOT_FILE_MAX_BYTES): room for a multipart upload of a
    /// 5 MiB part and a small last one, small enough that an oversized file is quick to send.
    static let fileMaxBytes: Int64 = 8 * 1024 * 1024
    static let uploads = UploadPolicy(directory: buildDirectory.appendingPathComponent(".spool"), maxFileBytes: maxBuildBytes)

    /// Live feeds last a minute in tests (a replayed example reads only the first frame).
    static let liveFeed = LiveFeed.Settings(heartbeat: .seconds(15), lifetime: .seconds(60))
    /// Short leases and backoffs, so crash and retry tests are quick.
    static let workerConfiguration = WorkerPool.Configuration(
        workers: 4, lease: .seconds(2), retryBackoff: .milliseconds(50), pollInterval: .milliseconds(500))
    static let runtimeToken = "test-runtime-token"

    /// Starts another app on the shared database (e.g. with a manual clock); returns its base URL.
    static func startApp(_ environment: HotApplication.Environment, logger: Logger) async throws -> String {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = HotApplication.make(environment, host: "127.0.0.1", port: 0, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        Task.detached { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return "http://127.0.0.1:\(port)"
    }
}

/// Stops the managed cluster and removes its directory, and the test apps' build directory, when
/// the test process exits (Swift Testing has no global teardown).
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
            // The test apps' build archives and upload spools.
            try? FileManager.default.removeItem(at: TestServer.buildDirectory)
        }
    }
}

/// An app whose every operation fails inside with an unexpected error: what the spec's 500
/// examples document (the error envelope with `internal_server_error`, nothing internal leaked).
enum FaultyApp {
    struct Fault: Error {}

    /// Fails where every route starts, so each operation answers 500 whatever its handler does.
    struct FailingAuthorizer: RequestAuthorizer {
        func authenticate(_ request: Request, context: HotRequestContext, operation: OperationDescriptor) async throws -> Credential? {
            throw Fault()
        }

        func authorize(context: inout HotRequestContext, requirements: [PermissionRequirement], inputs: PermissionInputs) async throws {
            throw Fault()
        }
    }

    private static let started = Mutex<Task<String, any Error>?>(nil)

    /// The faulty app's base URL (one per test process).
    static func baseURL() async throws -> String {
        let task = started.withLock { task in
            if let task { return task }
            let new = Task { try await start() }
            task = new
            return new
        }
        return try await task.value
    }

    private static func start() async throws -> String {
        let server = try await TestServer.shared.running()
        let router = Router(context: HotRequestContext.self)
        router.add(middleware: APIMiddleware(operations: []))
        let service = HotService(
            database: server.database, buildInfo: HotService.BuildInfo(version: "test", gitSha: "test", startTime: Date()),
            secrets: TestServer.testSecrets, clock: SystemWallClock(), storage: TestServer.storage, uploadPolicy: TestServer.uploads,
            pubsub: PostgresPubSub(database: server.database), liveFeed: TestServer.liveFeed, domainProvider: TestServer.domains)
        HotRoutes.register(on: router, api: service, authorizer: FailingAuthorizer())
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: server.logger)
        Task.detached { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return "http://127.0.0.1:\(port)"
    }
}

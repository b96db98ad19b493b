import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import PostgresNIO
import Testing

/// The credential cache across processes: a second app with a database pool, a listener and a
/// cache of its own (another process as far as the cache goes) learns of changes made elsewhere.
@Suite("Credential cache")
struct CredentialCacheTests {
    /// Another "process" on the shared database.
    struct Elsewhere {
        var baseURL: String
        var cache: CredentialCache
        var client: PostgresClient
        /// Its listener's connection, by `application_name`.
        var listenerName: String
        var tasks: [Task<Void, any Error>]

        func stop() {
            for task in tasks { task.cancel() }
        }

        /// Waits (bounded) until the cache is or is not bypassed.
        func listening(_ expected: Bool) async throws {
            let cache = self.cache
            try await Deadline.within(.seconds(20), waitingFor: "the cache's listening to become \(expected)") {
                // Polls the cache (no event to wait on); the deadline bounds it.
                while cache.statistics.listening != expected { try await Task.sleep(for: .milliseconds(10)) }
            }
        }

        /// Authenticates `token` there until its credential `id` is cached: a read is not kept when
        /// an eviction (any test's) lands during it, so it may take a few tries.
        func warm(_ tenant: Tenant, token: String? = nil, id: UUID) async throws {
            var there = tenant
            there.server.baseURL = baseURL
            for _ in 0..<20 where cache.cached(id) == nil {
                let reply = try await there.send(.GET, "/v1/env", token: token)
                guard reply.status == 200 else { throw TestFailure("authenticating elsewhere answered \(reply.status)") }
            }
            guard cache.cached(id) != nil else { throw TestFailure("credential \(id) never stayed in the cache") }
        }

        /// Waits (bounded) until `id` is no longer cached.
        func evicted(_ id: UUID) async throws {
            let cache = self.cache
            try await Deadline.within(.seconds(10), waitingFor: "the eviction of \(id)") {
                while cache.cached(id) != nil { try await Task.sleep(for: .milliseconds(5)) }
            }
        }
    }

    static func elsewhere(_ server: TestServer.Running) async throws -> Elsewhere {
        let name = "hot-test-\(UUID().uuidString.prefix(8))"
        var configuration = server.configuration
        configuration.options.additionalStartupParameters = [("application_name", name)]
        let client = PostgresClient(configuration: configuration, backgroundLogger: server.logger)
        let clientTask = Task<Void, any Error> { await client.run() }
        let database = Database(client: client, logger: server.logger)
        let pubsub = PostgresPubSub(database: database)
        let cache = CredentialCache()
        let listener = pubsub.listener(work: WorkSignal(), credentials: cache)
        let listenerTask = Task { try await listener.run() }
        let environment = HotApplication.Environment(
            database: database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: pubsub, domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed, credentialCache: cache)
        let baseURL = try await TestServer.startApp(environment, logger: server.logger)
        let elsewhere = Elsewhere(baseURL: baseURL, cache: cache, client: client, listenerName: name, tasks: [clientTask, listenerTask])
        try await elsewhere.listening(true)
        return elsewhere
    }

    @Test("a credential is read once, then served from the cache; revoking it through the API reaches the other process")
    func revokedThroughTheAPI() async throws {
        let tenant = try await Tenant.make()
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        let created = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        let sessionId = try #require(created.json?["data"]?["session_id"]?.stringValue.flatMap(UUID.init(uuidString:)))

        try await other.warm(tenant, token: token, id: sessionId)
        let before = other.cache.statistics
        #expect(try await there.send(.GET, "/v1/env", token: token).status == 200)
        #expect(other.cache.statistics.hits == before.hits + 1)

        #expect(try await tenant.send(.DELETE, "/v1/sessions/\(sessionId.lowercased)").status == 204)
        try await other.evicted(sessionId)
        let refused = try await there.send(.GET, "/v1/env", token: token)
        #expect(refused.status == 401)
    }

    @Test("revoking an API key with the CLI reaches the other process, for the key and what it issued")
    func revokedWithTheCLI() async throws {
        let tenant = try await Tenant.make()
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        let session = try #require(try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#)
            .json?["data"]?["token"]?.stringValue)
        for token in [tenant.token, session] {
            #expect(try await there.send(.GET, "/v1/env", token: token).status == 200)
        }
        try await other.warm(tenant, id: tenant.keyId)

        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = tenant.server.databaseURL
        environment["HOT_LOG_LEVEL"] = "error"
        let revoke = try await ChildProcess.run(CommandLineTests.executable, ["keys", "revoke", tenant.keyId.lowercased], environment: environment)
        #expect(revoke.status == 0, "\(revoke.stderr)")
        try await other.evicted(tenant.keyId)
        for token in [tenant.token, session] {
            #expect(try await there.send(.GET, "/v1/env", token: token).status == 401)
        }
    }

    @Test("a plan change reaches the other process's cached credentials (and so its rate limits)")
    func planChange() async throws {
        let server = try await TestServer.shared.running()
        let org = try await OrgStore(database: server.database).create(name: "plan-\(UUID().lowercased)", plan: "pro")
        let tenant = try await Tenant.make(orgId: org.id)
        let other = try await Self.elsewhere(server)
        defer { other.stop() }
        try await other.warm(tenant, id: tenant.keyId)
        #expect(other.cache.cached(tenant.keyId)?.credential.plan == "pro")

        try await server.database.client.query("UPDATE org SET plan = 'starter' WHERE org_id = \(org.id)", logger: server.logger)
        try await other.evicted(tenant.keyId)
        try await other.warm(tenant, id: tenant.keyId)
        #expect(other.cache.cached(tenant.keyId)?.credential.plan == "starter")
    }

    @Test("GET /v1/env is answered from the cached credential, and a change to the env reaches it")
    func envFromTheCredential() async throws {
        let tenant = try await Tenant.make()
        let before = try #require(try await tenant.send(.GET, "/v1/env").json?["data"])
        #expect(before["active"] == .bool(true))
        #expect(before["name"]?.stringValue == tenant.envName)
        try await tenant.server.database.client.query("UPDATE env SET active = false WHERE env_id = \(tenant.envId)", logger: tenant.server.logger)
        try await tenant.server.evicted(tenant.keyId)
        #expect(try await tenant.send(.GET, "/v1/env").json?["data"]?["active"] == .bool(false))
    }

    @Test("when the listener's connection dies the cache is emptied; it is used again once the listener is back")
    func listenerDown() async throws {
        let tenant = try await Tenant.make()
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        try await other.warm(tenant, id: tenant.keyId)

        // Its LISTEN connection dies (as when PostgreSQL restarts or a network drops it).
        let terminated = try await tenant.server.database.client.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(other.listenerName) AND query LIKE 'LISTEN%'",
            logger: tenant.server.logger)
        var count = 0
        for try await _ in terminated { count += 1 }
        #expect(count == 1)
        // Emptied when the connection went (whether the listener is back already or not: it
        // reconnects at once, so its bypassed state is too short to catch here; the unit tests pin it).
        try await other.evicted(tenant.keyId)
        #expect(other.cache.statistics.entries == 0)
        // Requests still authenticate, from the database (what it held is gone: a miss).
        let misses = other.cache.statistics.misses
        #expect(try await there.send(.GET, "/v1/env").status == 200)
        #expect(other.cache.statistics.misses > misses)

        try await other.listening(true)
        try await other.warm(tenant, id: tenant.keyId)
    }
}

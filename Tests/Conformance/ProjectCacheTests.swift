import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import PostgresNIO
import Testing

/// The project cache across processes: a second app with a pool, a listener and caches of its own
/// (another process as far as the caches go) learns of project changes made elsewhere.
@Suite("Project cache")
struct ProjectCacheTests {
    struct Elsewhere {
        var baseURL: String
        var projects: ProjectCache
        var tasks: [Task<Void, any Error>]

        func stop() {
            for task in tasks { task.cancel() }
        }

        /// Reads `path` there until project `id` is cached: a read is not kept when an eviction
        /// (any test's) lands during it, so it may take a few tries.
        func warm(_ tenant: Tenant, path: String, id: UUID) async throws {
            var there = tenant
            there.server.baseURL = baseURL
            for _ in 0..<20 where projects.cached(id) == nil {
                let reply = try await there.send(.GET, path)
                guard reply.status == 200 else { throw TestFailure("reading \(path) elsewhere answered \(reply.status)") }
            }
            guard projects.cached(id) != nil else { throw TestFailure("project \(id) never stayed in the cache") }
        }

        /// Waits (bounded) until project `id` is no longer cached.
        func evicted(_ id: UUID) async throws {
            let cache = projects
            try await Deadline.within(.seconds(10), waitingFor: "the eviction of project \(id)") {
                // Polls the cache (no event to wait on); the deadline bounds it.
                while cache.cached(id) != nil { try await Task.sleep(for: .milliseconds(5)) }
            }
        }
    }

    static func elsewhere(_ server: TestServer.Running) async throws -> Elsewhere {
        let client = PostgresClient(configuration: server.configuration, backgroundLogger: server.logger)
        let clientTask = Task<Void, any Error> { await client.run() }
        let database = Database(client: client, logger: server.logger)
        let pubsub = PostgresPubSub(database: database)
        let credentials = CredentialCache()
        let projects = ProjectCache()
        let listener = pubsub.listener(work: WorkSignal(), credentials: credentials, projects: projects)
        let listenerTask = Task { try await listener.run() }
        let environment = HotApplication.Environment(
            database: database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: pubsub, domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed, credentialCache: credentials,
            projectCache: projects)
        let baseURL = try await TestServer.startApp(environment, logger: server.logger)
        try await Deadline.within(.seconds(20), waitingFor: "the other listener to listen") {
            // Polls the cache (no event to wait on); the deadline bounds it.
            while !projects.statistics.listening { try await Task.sleep(for: .milliseconds(10)) }
        }
        return Elsewhere(baseURL: baseURL, projects: projects, tasks: [clientTask, listenerTask])
    }

    static func created(_ tenant: Tenant, _ name: String) async throws -> UUID {
        let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"\#(name)"}"#)
        guard reply.status == 201, let id = reply.json?["data"]?["project_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else {
            throw TestFailure("creating project \(name) answered \(reply.status)")
        }
        return id
    }

    @Test("a project is read once, then served from the cache by name and by id")
    func servedFromTheCache() async throws {
        let tenant = try await Tenant.make()
        let id = try await Self.created(tenant, "cached")
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        try await other.warm(tenant, path: "/v1/projects/cached", id: id)
        let before = other.projects.statistics
        #expect(try await there.send(.GET, "/v1/projects/cached").status == 200)
        #expect(try await there.send(.GET, "/v1/projects/\(id.lowercased)").json?["data"]?["name"]?.stringValue == "cached")
        #expect(other.projects.statistics.hits >= before.hits + 2)
        #expect(other.projects.statistics.misses == before.misses)
    }

    @Test("a rename on one process reaches the other: the old name is gone there, the new one found")
    func renameReachesTheOtherProcess() async throws {
        let tenant = try await Tenant.make()
        let id = try await Self.created(tenant, "before")
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        try await other.warm(tenant, path: "/v1/projects/before", id: id)

        #expect(try await tenant.send(.PATCH, "/v1/projects/before", body: #"{"name":"after"}"#).status == 200)
        // On the process that renamed, at once.
        #expect(try await tenant.send(.GET, "/v1/projects/before").status == 404)
        try await other.evicted(id)
        #expect(try await there.send(.GET, "/v1/projects/before").status == 404)
        #expect(try await there.send(.GET, "/v1/projects/\(id.lowercased)").json?["data"]?["name"]?.stringValue == "after")
    }

    @Test("a change made outside the server (SQL) evicts: deactivation shows, deletion is a 404")
    func changesOutsideTheServer() async throws {
        let tenant = try await Tenant.make()
        let id = try await Self.created(tenant, "outside")
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        try await other.warm(tenant, path: "/v1/projects/outside", id: id)
        #expect(other.projects.cached(id)?.active == true)

        try await tenant.server.database.client.query("UPDATE project SET active = false WHERE project_id = \(id)", logger: tenant.server.logger)
        try await other.evicted(id)
        #expect(try await there.send(.GET, "/v1/projects/outside").json?["data"]?["active"] == .bool(false))

        try await other.warm(tenant, path: "/v1/projects/outside", id: id)
        try await tenant.server.database.client.query("DELETE FROM project WHERE project_id = \(id)", logger: tenant.server.logger)
        try await other.evicted(id)
        #expect(try await there.send(.GET, "/v1/projects/outside").status == 404)
    }

    @Test("a list page is served from the cache; a project created on another process evicts it there")
    func listEvictedByCreation() async throws {
        let tenant = try await Tenant.make()
        _ = try await Self.created(tenant, "first")
        let other = try await Self.elsewhere(tenant.server)
        defer { other.stop() }
        var there = tenant
        there.server.baseURL = other.baseURL
        for _ in 0..<20 where other.projects.cachedLists(tenant.envId) == 0 {
            #expect(try await there.send(.GET, "/v1/projects").status == 200)
        }
        #expect(other.projects.cachedLists(tenant.envId) == 1)
        let hits = other.projects.statistics.hits
        #expect(try await there.send(.GET, "/v1/projects").json?["pagination"]?["total"] == .int(1))
        #expect(other.projects.statistics.hits == hits + 1)

        _ = try await Self.created(tenant, "second")
        // On the process that created it, at once.
        #expect(try await tenant.send(.GET, "/v1/projects").json?["pagination"]?["total"] == .int(2))
        let cache = other.projects
        try await Deadline.within(.seconds(10), waitingFor: "the eviction of the env's lists") {
            // Polls the cache (no event to wait on); the deadline bounds it.
            while cache.cachedLists(tenant.envId) != 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        let names = try await there.send(.GET, "/v1/projects").json?["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(Set(names ?? []) == ["first", "second"])
    }
}

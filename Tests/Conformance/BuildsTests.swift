import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import HotUploads
import Logging
import PostgresNIO
import Testing

@Suite("Builds")
struct BuildsTests {
    /// A tenant with one project.
    func tenantWithProject(_ name: String = "app") async throws -> (Tenant, String) {
        let tenant = try await Tenant.make()
        let project = try await tenant.createProject(name)
        return (tenant, try #require(project["project_id"]?.stringValue))
    }

    func buildCount(projectId: String, in tenant: Tenant) async throws -> Int {
        let rows = try await tenant.server.database.client.query(
            "SELECT count(*)::bigint FROM build WHERE project_id = \(UUID(uuidString: projectId)!)", logger: tenant.server.logger)
        var count = 0
        for try await value in rows.decode(Int.self) { count = value }
        return count
    }

    /// Files stored for the project (each build's archive lives under its project's folder).
    func storedFiles(projectId: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: TestServer.buildDirectory.appendingPathComponent(projectId).path)) ?? []
    }

    @Test("stored, deflated and zstd bundles upload, round-trip byte for byte, and declare their handlers and schedules once deployed",
          arguments: [ZipFixture.Method.stored, .deflate, .zstd])
    func uploadDeployDownload(method: ZipFixture.Method) async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let zip = SampleBundle.archive(manifest: SampleBundle.manifest, method: method)
        let reply = try await tenant.upload("app", zip: zip)
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        let data = try #require(reply.json?["data"])
        let buildId = try #require(data["build_id"]?.stringValue)
        #expect(data["hash"]?.stringValue == sha256Hex(zip))
        #expect(data["size"] == .int(Int64(zip.count)))
        #expect(data["storage_backend"]?.stringValue == "file")
        #expect(data["storage_path"]?.stringValue?.contains("\(projectId)/\(buildId)-") == true)

        let download = try await tenant.send(.GET, "/v1/projects/app/builds/\(buildId)/download")
        #expect(download.status == 200)
        #expect(download.headers.first(name: "Content-Type") == "application/zip")
        #expect(download.body == zip)

        // Nothing is deployed yet: no handlers, no schedules, no deployed build.
        #expect(try await tenant.send(.GET, "/v1/projects/app/event-handlers").json?["data"] == .array([]))
        #expect(try await tenant.send(.GET, "/v1/projects/app/schedules").json?["data"] == .array([]))
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/deployed").status == 404)

        let deploy = try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy")
        #expect(deploy.status == 200)
        #expect(deploy.json?["data"]?["deployed"] == .bool(true))
        let handlers = try await tenant.send(.GET, "/v1/projects/app/event-handlers")
        let handler = try #require(handlers.json?["data"]?[0])
        #expect(handler["event_type"]?.stringValue == "user.signup")
        #expect(handler["ns"]?.stringValue == "::myapp::handlers")
        #expect(handler["var"]?.stringValue == "on-user-signup")
        #expect(handler["build_id"]?.stringValue == buildId)
        let schedule = try #require(try await tenant.send(.GET, "/v1/projects/app/schedules").json?["data"]?[0])
        #expect(schedule["cron"]?.stringValue == "0 0 * * *")
        #expect(schedule["ns"]?.stringValue == "::myapp::tasks")
        #expect(schedule["var"]?.stringValue == "daily-cleanup")

        // The handler's meta is kept for the workers (retry).
        let meta = try await tenant.server.database.client.query(
            "SELECT meta::text FROM event_handler WHERE build_id = \(UUID(uuidString: buildId)!)", logger: tenant.server.logger)
        var metaText = ""
        for try await text in meta.decode(String.self) { metaText = text }
        #expect(try JSONValue.parse(Data(metaText.utf8))["retry"] == .int(3))
    }

    @Test("a zip without a manifest is a build with no handlers and no schedules")
    func noManifest() async throws {
        let (tenant, _) = try await tenantWithProject()
        let buildId = try await tenant.uploadBuild("app", zip: SampleBundle.archive(manifest: nil, method: .deflate))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/app/event-handlers").json?["pagination"]?["total"] == .int(0))
        #expect(try await tenant.send(.GET, "/v1/projects/app/schedules").json?["pagination"]?["total"] == .int(0))
    }

    @Test("a hash that does not match the bytes is a 400 and nothing is stored, not even a spool file")
    func hashMismatch() async throws {
        var (tenant, projectId) = try await tenantWithProject()
        // An app whose spool no other test shares, so an empty spool means this upload left nothing.
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("hot-spool-\(UUID().lowercased)")
        let environment = HotApplication.Environment(
            database: tenant.server.database, secrets: TestServer.testSecrets, storage: TestServer.storage,
            uploads: UploadPolicy(directory: spool, maxFileBytes: TestServer.maxBuildBytes), pubsub: tenant.server.pubsub, domainProvider: TestServer.domains)
        tenant.server.baseURL = try await TestServer.startApp(environment, logger: tenant.server.logger)
        defer { try? FileManager.default.removeItem(at: spool) }
        let reply = try await tenant.upload("app", zip: SampleBundle.zip, hash: String(repeating: "ab", count: 32))
        #expect(reply.status == 400)
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("Hash mismatch") == true)
        #expect(try await buildCount(projectId: projectId, in: tenant) == 0)
        #expect(storedFiles(projectId: projectId).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty)
        // A hostile archive too: read from the spool, refused, removed.
        let bad = try await tenant.upload("app", zip: SampleBundle.archive([try .init("../escape.hot", Data("x".utf8))]))
        #expect(bad.status == 400)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty)
        // And a good one leaves none either: its file moved into storage.
        #expect(try await tenant.upload("app", zip: SampleBundle.zip).status == 201)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty)
    }

    @Test("hostile archives are refused with a 400 naming the problem, and nothing is stored")
    func hostileArchives() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let zeros = Data(count: 3 * 1024 * 1024)
        let cases: [(String, [ZipFixture.Entry], String)] = [
            ("traversal", [try .init("../escape.hot", Data("x".utf8), method: .stored)], "escape"),
            ("absolute path", [try .init("/etc/passwd", Data("x".utf8), method: .stored)], "absolute"),
            ("zip bomb", [try .init("bomb.bin", zeros, method: .deflate)], "zip bomb"),
            ("too many entries", try (0..<20_000).map { try .init("f\($0)", Data(), method: .stored) }, "entries"),
            // Random hex barely compresses, so the manifest's own limit is what refuses it.
            ("10 MB manifest", [try .init("manifest.hot", Data(("\"" + HexString.lowercase((0..<5 * 1024 * 1024).map { _ in UInt8.random(in: 0...255) }) + "\"").utf8), method: .deflate)], "manifest"),
            ("deep nesting", [try .init("manifest.hot", Data((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8), method: .deflate)], "nest"),
            ("bad cron", [try .init("manifest.hot", Data(#"{"hot.bundle.x": {scheduled_functions: {"61 * * * *": [{fn: "::a/b"}]}}}"#.utf8), method: .stored)], "61 * * * *"),
            ("manifest syntax", [try .init("manifest.hot", Data("{\"hot.bundle.x\": {a: }}".utf8), method: .stored)], "1:"),
        ]
        for (label, entries, mentions) in cases {
            let reply = try await tenant.upload("app", zip: SampleBundle.archive(entries))
            #expect(reply.status == 400, "\(label): \(reply.status)")
            let message = reply.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.lowercased().contains(mentions.lowercased()), "\(label): \(message)")
        }
        #expect(try await buildCount(projectId: projectId, in: tenant) == 0)
        #expect(storedFiles(projectId: projectId).isEmpty)
    }

    @Test("a file over HOT_MAX_BUILD_BYTES is a 413 in the error envelope")
    func oversized() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let reply = try await tenant.upload("app", zip: Data(count: Int(TestServer.maxBuildBytes) + 1))
        #expect(reply.status == 413)
        #expect(reply.json?["error"]?["code"]?.stringValue == "bad_request")
        #expect(try await buildCount(projectId: projectId, in: tenant) == 0)
    }

    @Test("re-uploading a build id answers 200 with X-Build-Exists and stores nothing twice; another project's id is a 409")
    func idempotentUpload() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let buildId = UUID().lowercased
        #expect(try await tenant.upload("app", zip: SampleBundle.zip, buildId: buildId).status == 201)
        let again = try await tenant.upload("app", zip: SampleBundle.zip, buildId: buildId)
        #expect(again.status == 200)
        #expect(again.headers.first(name: "X-Build-Exists") == "true")
        #expect(again.json?["data"]?["build_id"]?.stringValue == buildId)
        #expect(try await buildCount(projectId: projectId, in: tenant) == 1)
        #expect(storedFiles(projectId: projectId).count == 1)

        _ = try await tenant.createProject("other")
        let conflict = try await tenant.upload("other", zip: SampleBundle.zip, buildId: buildId)
        #expect(conflict.status == 409)
        #expect(conflict.json?["error"]?["code"]?.stringValue == "conflict")
    }

    @Test("concurrent uploads of one build id end with exactly one build")
    func concurrentUploads() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let buildId = UUID().lowercased
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await tenant.upload("app", zip: SampleBundle.zip, buildId: buildId).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
        #expect(try await buildCount(projectId: projectId, in: tenant) == 1)
        #expect(storedFiles(projectId: projectId).count == 1)
    }

    @Test("deploying switches the deployed build, lists it first, records a deployment and reactivates the project")
    func deploySwitches() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let first = try await tenant.uploadBuild("app", zip: SampleBundle.zip)
        let second = try await tenant.uploadBuild("app", zip: SampleBundle.archive(manifest: nil, method: .stored))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(second)/deploy").status == 200)
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(first)/deploy").status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/deployed").json?["data"]?["build_id"]?.stringValue == first)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/\(second)").json?["data"]?["deployed"] == .bool(false))
        // Deployed first, then newest.
        let list = try await tenant.send(.GET, "/v1/projects/app/builds").json?["data"]
        #expect(list?[0]?["build_id"]?.stringValue == first)
        #expect(list?[1]?["build_id"]?.stringValue == second)

        let database = tenant.server.database
        let project = UUID(uuidString: projectId)!
        var deployments = 0
        for try await count in try await database.client.query(
            "SELECT count(*)::bigint FROM deployment WHERE project_id = \(project)", logger: database.logger).decode(Int.self) {
            deployments = count
        }
        #expect(deployments == 2)

        try await database.client.query("UPDATE project SET active = false WHERE project_id = \(project)", logger: database.logger)
        #expect(try await tenant.send(.GET, "/v1/projects/app").json?["data"]?["active"] == .bool(false))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(second)/deploy").status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/app").json?["data"]?["active"] == .bool(true))
    }

    @Test("the env's builds carry their project's name and only projects the credential may read")
    func envList() async throws {
        let tenant = try await Tenant.make()
        for name in ["alpha", "beta"] {
            _ = try await tenant.createProject(name)
            _ = try await tenant.uploadBuild(name, zip: SampleBundle.zip)
        }
        let all = try await tenant.send(.GET, "/v1/builds")
        #expect(all.json?["pagination"]?["total"] == .int(2))
        #expect(Set(all.json?["data"]?.arrayValue?.compactMap { $0["project_name"]?.stringValue } ?? []) == ["alpha", "beta"])
        let limited = try await tenant.key(permissions: ["build:alpha": ["read"]])
        let filtered = try await tenant.send(.GET, "/v1/builds", token: limited)
        #expect(filtered.json?["data"]?.arrayValue?.compactMap { $0["project_name"]?.stringValue } == ["alpha"])
    }

    @Test("unknown builds and projects are 404s; a live build is 404 until one exists")
    func notFound() async throws {
        let (tenant, projectId) = try await tenantWithProject()
        let missing = UUID().lowercased
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/\(missing)").status == 404)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/\(missing)/download").status == 404)
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(missing)/deploy").status == 404)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/live").status == 404)
        try await SampleBundle.insertLiveBuild(projectId: UUID(uuidString: projectId)!, envId: tenant.envId, database: tenant.server.database)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/live").json?["data"]?["build_type"]?.stringValue == "live")
        // Another env's build is not found through this env's project of the same name.
        let other = try await Tenant.make()
        _ = try await other.createProject("app")
        let foreign = try await other.uploadBuild("app", zip: SampleBundle.zip)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/\(foreign)").status == 404)
    }

    /// Stores and opens as the test apps' storage does; refuses every delete.
    struct UndeletableStorage: BuildStorage {
        let base: FileBuildStorage
        var backend: String { base.backend }
        func store(file: URL, size: Int64, key: String) async throws -> String { try await base.store(file: file, size: size, key: key) }
        func open(path: String) async throws -> StoredArchive { try await base.open(path: path) }
        func delete(path: String) async throws { throw BuildStorageError.failed("refused by the test: \(path)") }
        func startMultipart(key: String, contentType: String?) async throws -> String {
            try await base.startMultipart(key: key, contentType: contentType)
        }
        func storePart(file: URL, size: Int64, uploadId: String, key: String, number: Int) async throws -> String {
            try await base.storePart(file: file, size: size, uploadId: uploadId, key: key, number: number)
        }
        func completeMultipart(uploadId: String, key: String, parts: [(number: Int, tag: String)]) async throws -> String {
            try await base.completeMultipart(uploadId: uploadId, key: key, parts: parts)
        }
        func abortMultipart(uploadId: String, key: String) async throws { try await base.abortMultipart(uploadId: uploadId, key: key) }
    }

    @Test("an archive that cannot be deleted with its project is logged as a warning naming it, with the request's id")
    func undeletableArchiveLogged() async throws {
        let server = try await TestServer.shared.running()
        let captured = CapturingLogHandler.Store()
        let logger = Logger(label: "hot-server.tests.capture") { _ in CapturingLogHandler(store: captured) }
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: UndeletableStorage(base: TestServer.storage),
            uploads: TestServer.uploads, pubsub: server.pubsub, domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed,
            credentialCache: server.credentialCache, projectCache: server.projectCache)
        let tenant = try await Tenant.make(baseURL: try await TestServer.startApp(environment, logger: logger))
        let projectId = try #require(try await tenant.createProject("app")["project_id"]?.stringValue)
        let upload = try await tenant.upload("app", zip: SampleBundle.zip)
        let path = try #require(upload.json?["data"]?["storage_path"]?.stringValue)

        let reply = try await tenant.send(.DELETE, "/v1/projects/app")
        // The rows are what count: the project is gone even though its archive is not.
        #expect(reply.status == 204)
        let requestId = try #require(reply.headers.first(name: "X-Request-Id"))
        #expect(storedFiles(projectId: projectId).count == 1)
        // Logged before the answer was sent, so it is there now.
        let warnings = captured.entries.withLock { entries in
            entries.filter { $0.level == .warning && $0.metadata["storage_path"] == .string(path) }
        }
        #expect(warnings.count == 1, "\(captured.entries.withLock { $0 })")
        let warning = try #require(warnings.first)
        #expect(warning.metadata["request_id"] == .string(requestId))
        #expect(warning.metadata["storage_backend"] == "file")
        #expect(warning.metadata["error"]?.description.contains("refused by the test") == true)
        try await TestServer.storage.delete(path: path)
    }
}

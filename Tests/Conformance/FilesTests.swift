import Crypto
import Foundation
import HotImpl
import HotRuntime
import PostgresNIO
import Testing

@Suite("Files")
struct FilesTests {
    func upload(_ tenant: Tenant, _ path: String, _ bytes: Data, token: String? = nil) async throws -> Tenant.Reply {
        try await tenant.send(.PUT, "/v1/files/upload/\(path)", data: bytes, contentType: "application/octet-stream", token: token)
    }

    /// Where the file storage keeps the parts of an upload (named by the storage's own id for it).
    func partsDirectory(_ tenant: Tenant, upload: String) async throws -> String {
        let rows = try await tenant.server.database.client.query(
            "SELECT backend_upload_id FROM file_upload WHERE upload_id = \(try #require(UUID(uuidString: upload)))")
        var backendId: String?
        for try await id in rows.decode(String.self) { backendId = id }
        return TestServer.storage.root.appendingPathComponent(".multipart/\(try #require(backendId))").path
    }

    func md5(_ data: Data) -> String { HexString.lowercase(Insecure.MD5.hash(data: data)) }

    /// Files of the shared test storage whose key names this env.
    func storedFiles(_ tenant: Tenant) -> [String] {
        let directory = TestServer.storage.root.appendingPathComponent("files/\(tenant.envId.lowercased)")
        return (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    }

    @Test("a file uploaded at a path (slashes raw or %2F) downloads as sent; uploading again replaces it under the same id")
    func uploadReplaceDownload() async throws {
        let tenant = try await Tenant.make()
        let first = Data("a,b\n1,2\n".utf8)
        let created = try await upload(tenant, "reports/2024-01.csv", first)
        #expect(created.status == 200)
        let data = try #require(created.json?["data"])
        #expect(data["path"] == "reports/2024-01.csv")
        #expect(data["size"] == .int(Int64(first.count)))
        #expect(data["etag"] == .string(md5(first)))
        #expect(data["content_type"] == "text/csv")
        #expect(data["storage_backend"] == "file")
        let id = try #require(data["file_id"]?.stringValue)

        // The same path, percent-encoded: the same file, its content replaced.
        let second = Data("x,y\n".utf8)
        let replaced = try await upload(tenant, "reports%2F2024-01.csv", second)
        #expect(replaced.json?["data"]?["file_id"] == .string(id))
        #expect(replaced.json?["data"]?["size"] == .int(Int64(second.count)))
        // The replaced content is removed from storage.
        #expect(storedFiles(tenant).count == 1)

        let download = try await tenant.send(.GET, "/v1/files/\(id)/download")
        #expect(download.status == 200)
        #expect(download.body == second)
        #expect(download.headers.first(name: "Content-Type") == "text/csv")
        #expect(download.headers.first(name: "Content-Disposition") == #"attachment; filename="2024-01.csv""#)
        #expect(try await tenant.send(.GET, "/v1/files/\(id)").json?["data"]?["etag"] == .string(md5(second)))

        #expect(try await tenant.send(.DELETE, "/v1/files/\(id)").status == 204)
        #expect(try await tenant.send(.GET, "/v1/files/\(id)").status == 404)
        #expect(try await tenant.send(.GET, "/v1/files/\(id)/download").status == 404)
        #expect(storedFiles(tenant).isEmpty)
    }

    @Test("paths are normalised as the reference does, and one that leaves the root is a 400")
    func pathNormalisation() async throws {
        let tenant = try await Tenant.make()
        let cases = [
            ("hot:%2F%2Fdata%2Fa.txt", "data/a.txt"),
            ("%2Fdata%2F.%2F%2Fb.txt", "data/b.txt"),
            ("data/sub%2F..%2Fc.json", "data/c.json"),
        ]
        for (sent, stored) in cases {
            let reply = try await upload(tenant, sent, Data("1".utf8))
            #expect(reply.json?["data"]?["path"] == .string(stored), "\(sent)")
        }
        #expect(try await upload(tenant, "data/c.json", Data("{}".utf8)).json?["data"]?["content_type"] == "application/json")
        for escaping in ["a%2F..%2F..%2Fetc%2Fpasswd", "%2E%2E", "..%2Fx", "%2F%2F"] {
            let reply = try await upload(tenant, escaping, Data("x".utf8))
            #expect(reply.status == 400, "\(escaping)")
            #expect(reply.json?["error"]?["code"] == "bad_request")
        }
        let initiated = try await tenant.send(.POST, "/v1/files/uploads", body: #"{"path":"x/../../y"}"#)
        #expect(initiated.status == 400)
    }

    @Test("the list filters by a case-insensitive part of the path, pages, and never shows another env's files")
    func listing() async throws {
        let tenant = try await Tenant.make()
        let stranger = try await Tenant.make()
        for name in ["Reports/a.csv", "reports/b.csv", "images/c.png"] {
            #expect(try await upload(tenant, name, Data(name.utf8)).status == 200)
        }
        let strangers = try await upload(stranger, "reports/secret.csv", Data("s".utf8))
        let strangerId = try #require(strangers.json?["data"]?["file_id"]?.stringValue)

        let matching = try await tenant.send(.GET, "/v1/files?prefix=REPORTS")
        #expect(matching.json?["pagination"]?["total"] == 2)
        let paths = Set((matching.json?["data"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
        #expect(paths == ["Reports/a.csv", "reports/b.csv"])
        // Wildcards in the filter are text.
        #expect(try await tenant.send(.GET, "/v1/files?prefix=%25").json?["pagination"]?["total"] == 0)
        let page = try await tenant.send(.GET, "/v1/files?limit=1&offset=1")
        #expect(page.json?["data"]?.arrayValue?.count == 1)
        #expect(page.json?["pagination"]?["total"] == 3)
        #expect(page.json?["pagination"]?["has_more"] == true)

        #expect(try await tenant.send(.GET, "/v1/files/\(strangerId)").status == 404)
        #expect(try await tenant.send(.DELETE, "/v1/files/\(strangerId)").status == 404)
        #expect(try await tenant.send(.GET, "/v1/files/\(strangerId)/download").status == 404)
    }

    @Test("file: grants decide which paths a key reads, writes, replaces and deletes; sessions and service keys have no files")
    func permissions() async throws {
        let tenant = try await Tenant.make()
        let secret = try #require(try await upload(tenant, "private/plan.txt", Data("p".utf8)).json?["data"]?["file_id"]?.stringValue)
        let shared = try #require(try await upload(tenant, "public/readme.md", Data("r".utf8)).json?["data"]?["file_id"]?.stringValue)
        let key = try await tenant.key(permissions: ["file:public/*": ["read", "create"]])

        let listed = try await tenant.send(.GET, "/v1/files", token: key)
        #expect((listed.json?["data"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue } == ["public/readme.md"])
        #expect(try await tenant.send(.GET, "/v1/files/\(shared)", token: key).status == 200)
        #expect(try await tenant.send(.GET, "/v1/files/\(secret)", token: key).status == 404)
        #expect(try await tenant.send(.GET, "/v1/files/\(secret)/download", token: key).status == 404)
        // Readable but not deletable: a 403 naming what is lacking.
        let delete = try await tenant.send(.DELETE, "/v1/files/\(shared)", token: key)
        #expect(delete.status == 403)
        #expect(delete.json?["error"]?["message"]?.stringValue?.contains("'delete'") == true)
        // Deletable here only: the file is there but elsewhere.
        let deleter = try await tenant.key(permissions: ["file:public/*": ["read"], "file:other/*": ["delete"]])
        let refused = try await tenant.send(.DELETE, "/v1/files/\(shared)", token: deleter)
        #expect(refused.status == 403)
        #expect(refused.json?["error"]?["message"]?.stringValue?.contains("'delete' on file:public/readme.md") == true)

        #expect(try await upload(tenant, "public/new.txt", Data("n".utf8), token: key).status == 200)
        #expect(try await upload(tenant, "private/new.txt", Data("n".utf8), token: key).status == 403)
        // A path that leads out of the granted prefix is judged by where it leads.
        #expect(try await upload(tenant, "public%2F..%2Fprivate%2Fx.txt", Data("n".utf8), token: key).status == 403)
        // Replacing needs update as well.
        let replace = try await upload(tenant, "public/readme.md", Data("changed".utf8), token: key)
        #expect(replace.status == 403)
        #expect(replace.json?["error"]?["message"]?.stringValue?.contains("'update'") == true)

        let session = try await Fixtures.created(tenant, "/v1/sessions", #"{"permissions":{"*:*":["*"]}}"#, id: "token")
        #expect(try await tenant.send(.GET, "/v1/files", token: session).status == 403)
        #expect(try await upload(tenant, "public/s.txt", Data("s".utf8), token: session).status == 403)
    }

    @Test("a multipart upload whose parts arrive out of order, one sent twice, joins them in number order")
    func multipartOutOfOrder() async throws {
        let tenant = try await Tenant.make()
        let first = Data((0..<(5 * 1024 * 1024 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let last = Data("the end".utf8)
        let started = try await tenant.send(.POST, "/v1/files/uploads", body: #"{"path":"videos/intro.mp4"}"#)
        #expect(started.status == 201)
        let upload = try #require(started.json?["data"])
        #expect(upload["part_size"] == .int(64 * 1024 * 1024))
        #expect(upload["parts_expected"] == .null)
        let id = try #require(upload["upload_id"]?.stringValue)

        func part(_ number: Int, _ bytes: Data) async throws -> Tenant.Reply {
            try await tenant.send(.PUT, "/v1/files/uploads/\(id)/\(number)", data: bytes, contentType: "application/octet-stream")
        }
        #expect(try await part(2, Data("not yet".utf8)).json?["data"]?["size"] == 7)
        let missing = try await tenant.send(.POST, "/v1/files/uploads/\(id)/complete")
        #expect(missing.status == 409)
        #expect(missing.json?["error"]?["code"] == "upload_incomplete")
        #expect(try await part(2, last).json?["data"]?["etag"] == .string(md5(last)))
        #expect(try await part(1, first).status == 200)
        #expect(try await part(0, last).status == 400)
        #expect(try await part(10_001, last).status == 400)

        #expect(FileManager.default.fileExists(atPath: try await partsDirectory(tenant, upload: id)))
        let completed = try await tenant.send(.POST, "/v1/files/uploads/\(id)/complete")
        #expect(completed.status == 200)
        let file = try #require(completed.json?["data"])
        #expect(file["size"] == .int(Int64(first.count + last.count)))
        #expect(file["content_type"] == "video/mp4")
        var hasher = Insecure.MD5()
        hasher.update(data: Data(Insecure.MD5.hash(data: first)))
        hasher.update(data: Data(Insecure.MD5.hash(data: last)))
        #expect(file["etag"] == .string(HexString.lowercase(hasher.finalize()) + "-2"))
        let fileId = try #require(file["file_id"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/files/\(fileId)/download").body == first + last)

        // Done: nothing more goes in, and it cannot be completed or aborted again.
        #expect(try await part(3, last).json?["error"]?["code"] == "upload_not_pending")
        #expect(try await tenant.send(.POST, "/v1/files/uploads/\(id)/complete").status == 409)
        #expect(try await tenant.send(.DELETE, "/v1/files/uploads/\(id)").status == 409)
        // Its parts are gone from storage.
        #expect(!FileManager.default.fileExists(atPath: try await partsDirectory(tenant, upload: id)))
    }

    @Test("a declared size fixes the part count and the bytes; small parts, extra parts and a short file are refused")
    func multipartWithExpectedSize() async throws {
        let tenant = try await Tenant.make()
        let size = 6 * 1024 * 1024
        let tooBig = try await tenant.send(.POST, "/v1/files/uploads", body: #"{"path":"big.bin","expected_size":\#(TestServer.fileMaxBytes + 1)}"#)
        #expect(tooBig.status == 413)
        #expect(tooBig.json?["error"]?["code"] == "payload_too_large")
        let started = try await tenant.send(.POST, "/v1/files/uploads", body: #"{"path":"exact.bin","expected_size":\#(size),"content_type":"application/x-thing"}"#)
        let id = try #require(started.json?["data"]?["upload_id"]?.stringValue)
        #expect(started.json?["data"]?["parts_expected"] == 1)
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(id)/2", data: Data("x".utf8), contentType: "application/octet-stream").status == 400)
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(id)/1", data: Data(count: 100), contentType: "application/octet-stream").status == 200)
        let short = try await tenant.send(.POST, "/v1/files/uploads/\(id)/complete")
        #expect(short.json?["error"]?["code"] == "upload_incomplete")
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(id)/1", data: Data(count: size), contentType: "application/octet-stream").status == 200)
        let done = try await tenant.send(.POST, "/v1/files/uploads/\(id)/complete")
        #expect(done.status == 200)
        #expect(done.json?["data"]?["content_type"] == "application/x-thing")

        // An upload in parts may not outgrow the largest file either.
        let open = try #require(try await tenant.send(.POST, "/v1/files/uploads", body: #"{"path":"grow.bin"}"#).json?["data"]?["upload_id"]?.stringValue)
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(open)/1", data: Data(count: Int(TestServer.fileMaxBytes)), contentType: "application/octet-stream").status == 200)
        let over = try await tenant.send(.PUT, "/v1/files/uploads/\(open)/2", data: Data(count: 1), contentType: "application/octet-stream")
        #expect(over.status == 413)
        #expect(over.json?["error"]?["code"] == "payload_too_large")
        #expect(try await tenant.send(.DELETE, "/v1/files/uploads/\(open)").status == 204)
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(open)/1", data: Data(count: 1), contentType: "application/octet-stream").status == 409)
    }

    @Test("a non-final part under 5 MiB is refused when the part count is known")
    func smallPart() async throws {
        // 64 MiB + 1 byte takes two parts: past the test server's largest file, so on an app
        // without HOT_FILE_MAX_BYTES (the plan's 50 GiB).
        let server = try await TestServer.shared.running()
        let baseURL = try await server.app(clock: SystemWallClock(), fileMaxBytes: nil)
        let roomy = try await Tenant.make(baseURL: baseURL)
        let started = try await roomy.send(.POST, "/v1/files/uploads", body: #"{"path":"two.bin","expected_size":\#(64 * 1024 * 1024 + 1)}"#)
        let id = try #require(started.json?["data"]?["upload_id"]?.stringValue)
        #expect(started.json?["data"]?["parts_expected"] == 2)
        let small = try await roomy.send(.PUT, "/v1/files/uploads/\(id)/1", data: Data(count: 1024), contentType: "application/octet-stream")
        #expect(small.status == 400)
        #expect(small.json?["error"]?["code"] == "part_too_small")
    }

    @Test("a file that would take the org past its plan's storage is a 413 storage_quota_exceeded")
    func storageQuota() async throws {
        let tenant = try await Tenant.make()
        let starter = try await Tenant.make(orgId: try await OrgStore(database: tenant.server.database)
            .create(name: "files-\(UUID().lowercased)", plan: "starter").id)
        let limit = Int64(PlanLimits.of(plan: "starter").storageBytes)
        // The org already keeps all but 3 bytes of its storage (a row, no content).
        try await tenant.server.database.client.query("""
            INSERT INTO file (file_id, env_id, path, size, storage_backend, storage_path)
            VALUES (\(UUID()), \(starter.envId), 'filler.bin', \(limit - 3), 'file', '/nowhere')
            """)
        #expect(try await upload(starter, "fits.txt", Data("abc".utf8)).status == 200)
        let over = try await upload(starter, "over.txt", Data("d".utf8))
        #expect(over.status == 413)
        #expect(over.json?["error"]?["code"] == "storage_quota_exceeded")
        let announced = try await starter.send(.POST, "/v1/files/uploads", body: #"{"path":"later.bin","expected_size":10}"#)
        #expect(announced.json?["error"]?["code"] == "storage_quota_exceeded")
        // Files count in the org's usage.
        let usage = try await starter.send(.GET, "/v1/org/usage")
        #expect(usage.json?["data"]?["usage"]?["file_storage_bytes"] == .int(limit))
    }

    @Test("an upload left pending past its expiry is swept: aborted, its parts removed")
    func expiredUploadsSwept() async throws {
        let tenant = try await Tenant.make()
        let id = try await Fixtures.created(tenant, "/v1/files/uploads", #"{"path":"late.bin"}"#, id: "upload_id")
        #expect(try await tenant.send(.PUT, "/v1/files/uploads/\(id)/1", data: Data("part".utf8), contentType: "application/octet-stream").status == 200)
        let parts = try await partsDirectory(tenant, upload: id)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parts).count == 1)
        // Its day is over (only its own: other tests' uploads share the database).
        try await tenant.server.database.client.query("""
            UPDATE file_upload SET expires_at = now() - interval '1 minute' WHERE upload_id = \(UUID(uuidString: id)!)
            """)
        let sweeper = FileUploadSweeper(database: tenant.server.database, storage: TestServer.storage)
        #expect(try await sweeper.sweep() >= 1)
        #expect(!FileManager.default.fileExists(atPath: parts))
        let late = try await tenant.send(.PUT, "/v1/files/uploads/\(id)/2", data: Data("x".utf8), contentType: "application/octet-stream")
        #expect(late.status == 409)
        #expect(late.json?["error"]?["code"] == "upload_not_pending")
        // Swept once: a second pass finds nothing of this upload to do.
        #expect(try await tenant.send(.DELETE, "/v1/files/uploads/\(id)").status == 409)
    }
}

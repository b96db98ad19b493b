import AsyncHTTPClient
import Foundation
import Generated
import HotImpl
import HotRuntime
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing

@Suite("HTTP behaviour")
struct HTTPBehaviourTests {
    /// A request with exactly `headers` (no token added), for the authentication cases.
    static func raw(_ server: TestServer.Running, _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> Tenant.Reply {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1024 * 1024)
        return Tenant.Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    static func requestIdHeader(_ reply: Tenant.Reply) -> String? { reply.headers.first(name: "X-Request-Id") }

    /// The error envelope's code, and that its request id is the header's.
    static func expectErrorEnvelope(_ reply: Tenant.Reply, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(String(decoding: reply.body, as: UTF8.self))", sourceLocation: sourceLocation)
        let error = reply.json?["error"]
        #expect(error?["code"]?.stringValue == code, sourceLocation: sourceLocation)
        #expect(error?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        let header = requestIdHeader(reply)
        #expect(header != nil, sourceLocation: sourceLocation)
        #expect(error?["request_id"]?.stringValue == header, sourceLocation: sourceLocation)
        #expect(reply.json?.objectValue?.keys.sorted() == ["error"], sourceLocation: sourceLocation)
    }

    // MARK: Authentication

    @Test("no Authorization header answers 401 in the error envelope")
    func noHeader() async throws {
        let tenant = try await Tenant.make()
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/projects", authorized: false), status: 401, code: "unauthorized")
    }

    @Test("malformed Authorization headers answer 401", arguments: [
        "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "hot_0123", "Bearer hot_abc_def",
        "Bearer hot_0123456789abcdef0123456789abcdef_0123",
    ])
    func malformed(header: String) async throws {
        let server = try await TestServer.shared.running()
        Self.expectErrorEnvelope(try await Self.raw(server, "/v1/projects", headers: [("Authorization", header)]), status: 401, code: "unauthorized")
    }

    @Test("a well-formed token for a key that does not exist answers 401")
    func unknownKey() async throws {
        let tenant = try await Tenant.make()
        let token = APIKeyToken.generate(keyId: UUID.v7()).text
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/projects", token: token), status: 401, code: "unauthorized")
    }

    @Test("the right key id with a wrong secret answers 401")
    func wrongSecret() async throws {
        let tenant = try await Tenant.make()
        let token = APIKeyToken(keyId: tenant.keyId, secret: SecretHash.randomHex(bytes: 32)).text
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/projects", token: token), status: 401, code: "unauthorized")
        // The genuine token still works.
        #expect(try await tenant.send(.GET, "/v1/projects").status == 200)
    }

    @Test("the bearer scheme is case-insensitive and the token is the same in any hex case")
    func tokenCase() async throws {
        let tenant = try await Tenant.make()
        let server = tenant.server
        #expect(try await Self.raw(server, "/v1/projects", headers: [("Authorization", "bearer \(tenant.token)")]).status == 200)
        let parts = tenant.token.split(separator: "_")
        let upper = "hot_\(parts[1].uppercased())_\(parts[2].uppercased())"
        #expect(try await Self.raw(server, "/v1/projects", headers: [("Authorization", "Bearer \(upper)")]).status == 200)
    }

    @Test("a revoked key answers 401 from then on")
    func revoked() async throws {
        let tenant = try await Tenant.make()
        let token = try await tenant.key(permissions: ["*:*": ["*"]])
        #expect(try await tenant.send(.GET, "/v1/projects", token: token).status == 200)
        let keyId = try #require(APIKeyToken.parse(token)?.keyId)
        #expect(try await APIKeyStore(database: tenant.server.database).revoke(id: keyId))
        try await tenant.server.evicted(keyId)
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/projects", token: token), status: 401, code: "unauthorized")
        // Other keys of the env are unaffected.
        #expect(try await tenant.send(.GET, "/v1/projects").status == 200)
    }

    // MARK: Envelope and request id

    @Test("a success carries meta.request_id equal to X-Request-Id, and an RFC 3339 meta.timestamp of now")
    func successMeta() async throws {
        let tenant = try await Tenant.make()
        for path in ["/v1/projects", "/v1/env"] {
            let before = Date()
            let reply = try await tenant.send(.GET, path)
            let after = Date()
            #expect(reply.status == 200)
            let header = try #require(Self.requestIdHeader(reply))
            #expect(UUID(uuidString: header) != nil)
            #expect(header == header.lowercased())
            let meta = try #require(reply.json?["meta"])
            #expect(meta["request_id"]?.stringValue == header)
            let timestamp = try #require(meta["timestamp"]?.stringValue.flatMap(RFC3339.date(from:)))
            // The server writes milliseconds: allow the truncation.
            #expect(timestamp >= before.addingTimeInterval(-0.001) && timestamp <= after)
            // A Date header of now (whole seconds), and no Server header naming the software.
            let date = try #require(reply.headers.first(name: "Date").flatMap(Self.imfFixdate.date(from:)), "\(reply.headers)")
            #expect(date >= before.addingTimeInterval(-1) && date <= after)
            #expect(reply.headers.first(name: "Server") == nil)
        }
    }

    /// RFC 9110's IMF-fixdate, `Tue, 01 Dec 2026 22:14:07 GMT`.
    static let imfFixdate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()

    @Test("Expect: 100-continue: a 100 Continue when the route reads the body, then the answer; a request refused before its body gets the answer alone")
    func expectContinue() async throws {
        let tenant = try await Tenant.make()
        let body = #"{"name":"continue-\#(UUID().lowercased.prefix(8))"}"#
        func head(_ authorization: String) -> String {
            "POST /v1/projects HTTP/1.1\r\nHost: localhost\r\n\(authorization)Content-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
        }
        let client = try await RawConnection.open(tenant.server.baseURL)
        defer { client.close() }
        // The head alone: the server asks for the body (the client would otherwise wait on a timer).
        try await client.send(head("Authorization: Bearer \(tenant.token)\r\n"))
        #expect(try await client.read(until: "\r\n\r\n", within: .seconds(10)) == "HTTP/1.1 100 Continue\r\n\r\n")
        try await client.send(body)
        let answer = try #require(try await client.read(until: "\r\n\r\n"))
        #expect(answer.hasPrefix("HTTP/1.1 201 Created\r\n"), "\(answer)")

        // No credential: refused before the body is read, so no 100 and no body asked for.
        let refused = try await RawConnection.open(tenant.server.baseURL)
        defer { refused.close() }
        try await refused.send(head(""))
        let refusal = try #require(try await refused.read(until: "\r\n\r\n"))
        #expect(refusal.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), "\(refusal)")
        // The body it declared will not come: the connection closes after the answer instead of
        // waiting for it until the idle timeout.
        #expect(refusal.contains("Connection: close\r\n"), "\(refusal)")
        _ = try await refused.readToEnd(within: .seconds(10))
    }

    @Test("an error carries error.request_id equal to X-Request-Id")
    func errorRequestId() async throws {
        let tenant = try await Tenant.make()
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/projects/nope"), status: 404, code: "not_found")
        Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects", body: "{"), status: 400, code: "bad_request")
    }

    @Test("every request gets its own request id")
    func distinctRequestIds() async throws {
        let tenant = try await Tenant.make()
        var ids: Set<String> = []
        for path in ["/v1/projects", "/v1/projects", "/v1/projects/nope", "/status", "/nowhere"] {
            // /nowhere: deliberately no operation of the spec.
            ids.insert(try #require(Self.requestIdHeader(try await tenant.send(.GET, path, specChecked: path != "/nowhere"))))
        }
        #expect(ids.count == 5)
    }

    @Test("the env endpoint describes the credential's env")
    func env() async throws {
        let tenant = try await Tenant.make()
        let data = try #require(try await tenant.send(.GET, "/v1/env").json?["data"])
        #expect(data["env_id"]?.stringValue == tenant.envId.lowercased)
        #expect(data["name"]?.stringValue == tenant.envName)
    }

    // MARK: Routing and validation

    @Test("a body whose Content-Type the operation does not take is a 415; JSON types with parameters, +json and none are read as JSON")
    func contentTypes() async throws {
        let tenant = try await Tenant.make()
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"] {
            let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"ct-\#(UUID().uuidString.prefix(8).lowercased())"}"#, contentType: type)
            Self.expectErrorEnvelope(reply, status: 415, code: "bad_request")
            #expect(reply.json?["error"]?["message"]?.stringValue?.contains("send application/json") == true)
        }
        for type in ["application/json; charset=utf-8", "Application/JSON", "application/vnd.hot+json", ""] {
            let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"ct-\#(UUID().uuidString.prefix(8).lowercased())"}"#, contentType: type)
            #expect(reply.status == 201, "\(type): \(reply.status)")
        }
        // An upload must be multipart: JSON is a 415, multipart without a boundary a 400.
        _ = try await tenant.createProject("ct-upload")
        Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects/ct-upload/builds", body: "{}"), status: 415, code: "bad_request")
        Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects/ct-upload/builds", body: "{}", contentType: ""), status: 415, code: "bad_request")
        Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects/ct-upload/builds", body: "x", contentType: "multipart/form-data"),
                                 status: 400, code: "bad_request")
    }

    @Test("an unknown path answers 404 not_found in the envelope")
    func unknownPath() async throws {
        let tenant = try await Tenant.make()
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/nothing-here", specChecked: false), status: 404, code: "not_found")
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/nowhere", authorized: false, specChecked: false), status: 404, code: "not_found")
    }

    @Test("a body that is not JSON answers 400")
    func invalidJSON() async throws {
        let tenant = try await Tenant.make()
        for body in ["{", "name=x", #"{"name" "x"}"#] {
            let reply = try await tenant.send(.POST, "/v1/projects", body: body)
            Self.expectErrorEnvelope(reply, status: 400, code: "bad_request")
        }
    }

    @Test("a missing body answers 400")
    func missingBody() async throws {
        let tenant = try await Tenant.make()
        Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects"), status: 400, code: "bad_request")
    }

    @Test("an unknown body field answers 400 naming it")
    func unknownField() async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"ok","colour":"red"}"#)
        Self.expectErrorEnvelope(reply, status: 400, code: "bad_request")
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("colour") == true)
        // Nothing was created.
        #expect(try await tenant.send(.GET, "/v1/projects/ok").status == 404)
    }

    @Test("a body of the wrong JSON type answers 400")
    func wrongBodyType() async throws {
        let tenant = try await Tenant.make()
        for body in ["[]", #"{"name":1}"#, "null", #""name""#] {
            Self.expectErrorEnvelope(try await tenant.send(.POST, "/v1/projects", body: body), status: 400, code: "bad_request")
        }
    }

    @Test("a non-UUID where the path wants a UUID answers 400 naming the parameter")
    func nonUUIDPath() async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.GET, "/v1/runs/not-a-uuid")
        Self.expectErrorEnvelope(reply, status: 400, code: "bad_request")
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("run_id") == true)
    }

    @Test("authentication comes before validation: a bad path parameter without a token is 401")
    func authBeforeValidation() async throws {
        let tenant = try await Tenant.make()
        Self.expectErrorEnvelope(try await tenant.send(.GET, "/v1/runs/not-a-uuid", authorized: false), status: 401, code: "unauthorized")
    }

    // MARK: Status

    @Test("GET /status needs no credential and reports version, git_sha and start_time")
    func status() async throws {
        let server = try await TestServer.shared.running()
        let reply = try await Self.raw(server, "/status")
        #expect(reply.status == 200)
        let json = try #require(reply.json)
        #expect(json["status"] == "ok")
        #expect(json["version"]?.stringValue?.isEmpty == false)
        #expect(json["version"]?.stringValue == HotVersion.current)
        #expect(json["git_sha"]?.stringValue?.isEmpty == false)
        let start = try #require(json["start_time"]?.stringValue.flatMap(RFC3339.date(from:)))
        #expect(start <= Date())
        #expect(Self.requestIdHeader(reply) != nil)
        // A bad token does not matter to an unauthenticated operation.
        #expect(try await Self.raw(server, "/status", headers: [("Authorization", "Bearer nonsense")]).status == 200)
    }

    // MARK: Migrations

    @Test("migrating the already migrated test database applies nothing")
    func migrateAgain() async throws {
        let server = try await TestServer.shared.running()
        let applied = try await Migrator(client: server.database.client, logger: server.database.logger).migrate()
        #expect(applied == [])
    }

    @Test("two concurrent migrations of a fresh database both succeed and apply each migration once")
    func concurrentMigrations() async throws {
        let server = try await TestServer.shared.running()
        let name = "hot_migrate_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await server.database.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: server.database.logger)
        var configuration = server.configuration
        configuration.database = name
        let client = PostgresClient(configuration: configuration, backgroundLogger: server.database.logger)
        let running = Task { await client.run() }
        do {
            let migrator = Migrator(client: client, logger: server.database.logger)
            async let first = migrator.migrate()
            async let second = migrator.migrate()
            let (a, b) = try await (first, second)
            let bundled = try Migrator.bundled().map(\.name)
            // One of them applied everything, the other found nothing left to do.
            #expect(Set([a, b]) == Set([bundled, []]))
            #expect(try await migrator.migrate() == [])
            var versions: [Int] = []
            for try await version in try await client.query("SELECT version FROM schema_migration ORDER BY version").decode(Int.self) {
                versions.append(version)
            }
            #expect(versions == (try Migrator.bundled().map(\.version)))
        } catch {
            Issue.record(error)
        }
        running.cancel()
        _ = await running.value
        try await server.database.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: server.database.logger)
    }
}

@Suite("Request size")
struct RequestSizeTests {
    @Test("a JSON body over 2 MiB is refused with 413 in the error envelope, and the server keeps serving")
    func oversizedJSON() async throws {
        let tenant = try await Tenant.make()
        let big = #"{"name":""# + String(repeating: "a", count: RequestInput.maximumJSONBody) + #""}"#
        let reply = try await tenant.send(.POST, "/v1/projects", body: big)
        #expect(reply.status == 413)
        #expect(reply.json?["error"]?["code"] == "bad_request")
        #expect(try await tenant.send(.GET, "/v1/projects").status == 200)
    }
}

@Suite("Inputs PostgreSQL cannot store")
struct NULInputTests {
    @Test("a NUL in a path, a query or any JSON string is a 400 naming the input, never a 500")
    func nulIsRefused() async throws {
        let tenant = try await Tenant.make()
        let path = try await tenant.send(.GET, "/v1/projects/a%00b")
        #expect(path.status == 400)
        #expect(path.json?["error"]?["message"]?.stringValue?.contains("project_id_or_slug") == true)
        let body = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"stream:*":["read"]},"metadata":{"note":"a\u0000b"}}"#)
        #expect(body.status == 400)
        #expect(body.json?["error"]?["message"]?.stringValue?.contains("metadata.note") == true)
        let name = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"a\u0000b"}"#)
        #expect(name.status == 400)
    }
}

@Suite("Methods")
struct MethodTests {
    @Test("a declared path asked with an undeclared method is 405 with Allow, in the envelope; an unknown path stays 404")
    func methodNotAllowed() async throws {
        let tenant = try await Tenant.make()
        let put = try await tenant.send(.PUT, "/v1/projects", body: "{}", specChecked: false)
        #expect(put.status == 405)
        #expect(put.headers.first(name: "Allow") == "GET, POST")
        #expect(put.json?["error"]?["request_id"]?.stringValue == put.headers.first(name: "X-Request-Id"))
        let delete = try await tenant.send(.DELETE, "/v1/projects/some-name/builds/deployed", specChecked: false)
        #expect(delete.status == 405)
        #expect(delete.headers.first(name: "Allow") == "GET")
        #expect(try await tenant.send(.GET, "/v1/nothing-here", specChecked: false).status == 404)
    }

    @Test("an error status an operation does not list (405) conforms to the operation's default response, as clients read it")
    func unlistedStatusFollowsDefault() async throws {
        let tenant = try await Tenant.make()
        let put = try await tenant.send(.PUT, "/v1/projects", body: "{}", specChecked: false)
        #expect(put.status == 405)
        let rule = try #require(OperationSchemas.response(operationId: "listProjects", status: 405))
        let body = try #require(put.json)
        #expect(Schemas.validator.issues(body, against: rule).isEmpty, "\(body)")
        // The rule is the error envelope's: a success body does not pass it.
        #expect(!Schemas.validator.issues(["data": [], "meta": [:]], against: rule).isEmpty)
    }
}

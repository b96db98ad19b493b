import Foundation
import HotImpl
import HotRuntime
import Testing

@Suite("Service keys")
struct ServiceKeysTests {
    func create(_ tenant: Tenant, _ body: String, token: String? = nil) async throws -> Tenant.Reply {
        try await tenant.send(.POST, "/v1/service-keys", body: body, token: token)
    }

    @Test("a service key's token has no prefix, authenticates, and its metadata is sealed at rest")
    func createAndUse() async throws {
        let tenant = try await Tenant.make()
        let reply = try await create(tenant, #"{"name":"Acme","description":"MCP access","permissions":{"env:*":["read"]},"metadata":{"customer_id":"acme-123"},"expires_in":null}"#)
        #expect(reply.status == 201)
        let data = try #require(reply.json?["data"])
        let token = try #require(data["token"]?.stringValue)
        #expect(!token.hasPrefix("hot_") && !token.hasPrefix("s_") && token.count == 65)
        #expect(data["name"] == "Acme")
        #expect(data["metadata"] == ["customer_id": "acme-123"])
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 200)
        // Stored sealed: the plaintext is nowhere in the row, and reading it back opens it.
        let id = try #require(data["service_key_id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        let rows = try await tenant.server.database.client.query("SELECT metadata_sealed FROM service_key WHERE service_key_id = \(id)")
        var sealed: String?
        for try await value in rows.decode(String?.self) { sealed = value }
        #expect(sealed != nil && sealed?.contains("acme-123") == false)
        let fetched = try await tenant.send(.GET, "/v1/service-keys/\(id.lowercased)")
        #expect(fetched.json?["data"]?["metadata"] == ["customer_id": "acme-123"])
        #expect(fetched.json?["data"]?["token"] == nil)
    }

    @Test("only the issuing API key sees, gets and revokes its service keys")
    func ownership() async throws {
        let tenant = try await Tenant.make()
        let created = try await create(tenant, #"{"permissions":{"env:*":["read"]}}"#)
        let id = try #require(created.json?["data"]?["service_key_id"]?.stringValue)
        let otherKey = try await tenant.key(permissions: ["*:*": ["*"]])
        #expect(try await tenant.send(.GET, "/v1/service-keys/\(id)", token: otherKey).status == 404)
        #expect(try await tenant.send(.DELETE, "/v1/service-keys/\(id)", token: otherKey).status == 404)
        #expect(try await tenant.send(.GET, "/v1/service-keys", token: otherKey).json?["pagination"]?["total"] == 0)
        #expect(try await tenant.send(.GET, "/v1/service-keys").json?["pagination"]?["total"] == 1)
    }

    @Test("revoking a service key makes its token 401; revoke-all counts the active ones")
    func revoke() async throws {
        let tenant = try await Tenant.make()
        var tokens: [String] = []
        var ids: [String] = []
        for _ in 0..<3 {
            let reply = try await create(tenant, #"{"permissions":{"env:*":["read"]}}"#)
            tokens.append(try #require(reply.json?["data"]?["token"]?.stringValue))
            ids.append(try #require(reply.json?["data"]?["service_key_id"]?.stringValue))
        }
        #expect(try await tenant.send(.DELETE, "/v1/service-keys/\(ids[0])").status == 204)
        #expect(try await tenant.send(.GET, "/v1/env", token: tokens[0]).status == 401)
        #expect(try await tenant.send(.GET, "/v1/env", token: tokens[1]).status == 200)
        // The revoked key stays listed, marked revoked.
        let got = try await tenant.send(.GET, "/v1/service-keys/\(ids[0])")
        #expect(got.json?["data"]?["revoked_at"]?.stringValue != nil)
        #expect(try await tenant.send(.DELETE, "/v1/service-keys").json?["data"]?["revoked_count"] == 2)
        #expect(try await tenant.send(.GET, "/v1/env", token: tokens[2]).status == 401)
    }

    @Test("a service key with expires_in stops working when it expires; without, it never does")
    func expiry() async throws {
        let server = try await TestServer.shared.running()
        let clock = ManualWallClock()
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: clock))
        let expiring = try #require(try await create(tenant, #"{"permissions":{"env:*":["read"]},"expires_in":60}"#).json?["data"]?["token"]?.stringValue)
        let forever = try #require(try await create(tenant, #"{"permissions":{"env:*":["read"]}}"#).json?["data"]?["token"]?.stringValue)
        clock.advance(by: 61)
        #expect(try await tenant.send(.GET, "/v1/env", token: expiring).status == 401)
        clock.advance(by: 10 * 365 * 86400)
        #expect(try await tenant.send(.GET, "/v1/env", token: forever).status == 200)
    }

    @Test("escalation beyond the API key is 403 permission_escalation")
    func escalation() async throws {
        let tenant = try await Tenant.make()
        let limited = try await tenant.key(permissions: ["mcp:weather/*": ["execute"], "key:*": ["*"]])
        #expect(try await create(tenant, #"{"permissions":{"mcp:weather/get-forecast":["execute"]}}"#, token: limited).status == 201)
        let reply = try await create(tenant, #"{"permissions":{"mcp:*":["execute"]}}"#, token: limited)
        #expect(reply.status == 403)
        #expect(reply.json?["error"]?["code"] == "permission_escalation")
    }
}

@Suite("Credentials")
struct CredentialsTests {
    @Test("revoking an API key stops its sessions and service keys too")
    func revokingTheAPIKey() async throws {
        let tenant = try await Tenant.make()
        let session = try #require(try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#).json?["data"]?["token"]?.stringValue)
        let serviceKey = try #require(try await tenant.send(.POST, "/v1/service-keys", body: #"{"permissions":{"env:*":["read"]}}"#).json?["data"]?["token"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/env", token: session).status == 200)
        #expect(try await tenant.send(.GET, "/v1/env", token: serviceKey).status == 200)
        #expect(try await APIKeyStore(database: tenant.server.database).revoke(id: tenant.keyId))
        try await tenant.server.evicted(tenant.keyId)
        for token in [tenant.token, session, serviceKey] {
            let reply = try await tenant.send(.GET, "/v1/env", token: token)
            #expect(reply.status == 401)
            #expect(reply.json?["error"]?["code"] == "unauthorized")
        }
    }

    @Test("an operation that admits only API keys answers a session or service key with 403 forbidden")
    func credentialTypes() async throws {
        let tenant = try await Tenant.make()
        let session = try #require(try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"*:*":["*"]}}"#).json?["data"]?["token"]?.stringValue)
        for path in ["/v1/sessions", "/v1/service-keys", "/v1/org/usage"] {
            let reply = try await tenant.send(.GET, path, token: session)
            #expect(reply.status == 403, "\(path)")
            #expect(reply.json?["error"]?["code"] == "forbidden")
        }
    }

    @Test("tokens of the right shape but wrong secret, and unknown ids, are 401", arguments: ["session", "service"])
    func forgedTokens(_ kind: String) async throws {
        let tenant = try await Tenant.make()
        let path = kind == "session" ? "/v1/sessions" : "/v1/service-keys"
        let token = try #require(try await tenant.send(.POST, path, body: #"{"permissions":{"env:*":["read"]}}"#).json?["data"]?["token"]?.stringValue)
        let forged = String(token.dropLast(4)) + (token.hasSuffix("0000") ? "1111" : "0000")
        #expect(try await tenant.send(.GET, "/v1/env", token: forged).status == 401)
        let unknownId = (kind == "session" ? "s_" : "") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() + "_" + String(repeating: "a", count: 32)
        #expect(try await tenant.send(.GET, "/v1/env", token: unknownId).status == 401)
    }

    @Test("a credential of env A sees none of env B's resources")
    func crossEnvironment() async throws {
        let a = try await Tenant.make()
        let b = try await Tenant.make()
        let project = try await b.createProject("b-only")
        let id = try #require(project["project_id"]?.stringValue)
        #expect(try await a.send(.GET, "/v1/projects/\(id)").status == 404)
        #expect(try await a.send(.GET, "/v1/projects/b-only").status == 404)
        let session = try #require(try await b.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#).json?["data"]?["session_id"]?.stringValue)
        #expect(try await a.send(.DELETE, "/v1/sessions/\(session)").status == 404)
        #expect(try await a.send(.GET, "/v1/env").json?["data"]?["name"]?.stringValue == a.envName)
    }
}

/// updateServiceKey: a service key's metadata replaced.
@Suite("Service key updates")
struct ServiceKeyUpdateTests {
    @Test("PATCH replaces the metadata (absent or null clears it); a revoked key is 409; another API key's is 404")
    func update() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.send(.POST, "/v1/service-keys", body: #"{"name":"k","permissions":{"stream:*":["read"]},"metadata":{"a":1}}"#)
        let id = try #require(created.json?["data"]?["service_key_id"]?.stringValue)
        let updated = try await tenant.send(.PATCH, "/v1/service-keys/\(id)", body: #"{"metadata":{"customer":"acme","n":[1,2]}}"#)
        #expect(updated.status == 200)
        #expect(updated.json?["data"]?["metadata"] == .object(["customer": "acme", "n": .array([.int(1), .int(2)])]))
        #expect(updated.json?["data"]?["token"] == nil)
        #expect(try await tenant.send(.GET, "/v1/service-keys/\(id)").json?["data"]?["metadata"]?["customer"]?.stringValue == "acme")
        // Sealed at rest: the stored text is not the JSON.
        let stored = try await tenant.server.database.client.query(
            "SELECT metadata_sealed FROM service_key WHERE service_key_id = \(UUID(uuidString: id)!)", logger: tenant.server.logger)
        for try await sealed in stored.decode(String.self) { #expect(!sealed.contains("acme")) }

        let cleared = try await tenant.send(.PATCH, "/v1/service-keys/\(id)", body: "{}")
        #expect(cleared.json?["data"]?["metadata"] == nil || cleared.json?["data"]?["metadata"] == .null)

        let other = try await tenant.key(permissions: ["*:*": ["*"]])
        #expect(try await tenant.send(.PATCH, "/v1/service-keys/\(id)", body: "{}", token: other).status == 404)
        #expect(try await tenant.send(.DELETE, "/v1/service-keys/\(id)").status == 204)
        let revoked = try await tenant.send(.PATCH, "/v1/service-keys/\(id)", body: #"{"metadata":{"b":2}}"#)
        #expect(revoked.status == 409)
        #expect(revoked.json?["error"]?["code"]?.stringValue == "revoked")
    }
}

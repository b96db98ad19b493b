import Foundation
import HotImpl
import HotRuntime
import Testing

@Suite("Sessions")
struct SessionsTests {
    func createSession(_ tenant: Tenant, _ body: String, token: String? = nil) async throws -> Tenant.Reply {
        try await tenant.send(.POST, "/v1/sessions", body: body, token: token)
    }

    @Test("a session lasts an hour by default, keeps its metadata, and its token is returned once")
    func createDefaults() async throws {
        let tenant = try await Tenant.make()
        let reply = try await createSession(tenant, #"{"permissions":{"stream:*":["read"]},"metadata":{"user_id":"end-user-123"}}"#)
        #expect(reply.status == 201)
        let data = try #require(reply.json?["data"])
        let token = try #require(data["token"]?.stringValue)
        #expect(token.hasPrefix("s_") && token.count == 2 + 32 + 1 + 32)
        #expect(data["metadata"] == ["user_id": "end-user-123"])
        let created = try #require(data["created_at"]?.stringValue.flatMap(RFC3339.date(from:)))
        let expires = try #require(data["expires_at"]?.stringValue.flatMap(RFC3339.date(from:)))
        #expect(abs(expires.timeIntervalSince(created) - 3600) < 1)
        // Listing never shows the token again.
        let list = try await tenant.send(.GET, "/v1/sessions")
        guard case .array(let items)? = list.json?["data"] else { Issue.record("no list"); return }
        #expect(items.count == 1)
        #expect(items.first?["token"] == nil)
        #expect(items.first?["metadata"] == ["user_id": "end-user-123"])
    }

    @Test("expires_in outside 1...86400 or of the wrong type is a 400 naming expires_in", arguments: ["0", "-5", "86401", "\"soon\"", "1.5"])
    func badLifetime(_ value: String) async throws {
        let tenant = try await Tenant.make()
        let reply = try await createSession(tenant, #"{"permissions":{"stream:*":["read"]},"expires_in":\#(value)}"#)
        #expect(reply.status == 400)
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("expires_in") == true)
    }

    @Test("invalid permission maps are rejected with 400 naming the resource or action")
    func invalidPermissions() async throws {
        let tenant = try await Tenant.make()
        let cases = [
            (#"{"permissions":{"mcp:*":["create"]}}"#, "mcp:*"),
            (#"{"permissions":{"no-colon":["read"]}}"#, "no-colon"),
            (#"{"permissions":{"stream:*":[]}}"#, "stream:*"),
            (#"{"permissions":{"stream:*":["Read"]}}"#, "Read"),
        ]
        for (body, mention) in cases {
            let reply = try await createSession(tenant, body)
            #expect(reply.status == 400, "\(body)")
            #expect(reply.json?["error"]?["code"] == "bad_request")
            #expect(reply.json?["error"]?["message"]?.stringValue?.contains(mention) == true, "\(body): \(String(decoding: reply.body, as: UTF8.self))")
        }
    }

    /// The Hot API documentation's validation table, row by row: the map sent and the start of the
    /// message (the table's "Error" words, then the entry).
    static let documentedRefusals: [(body: String, prefix: String)] = [
        (#"{"permissions":{"no-colon-here":["read"]}}"#, "Invalid resource 'no-colon-here'"),
        (#"{"permissions":{"":["read"]}}"#, "Invalid resource ''"),
        (#"{"permissions":{":path":["read"]}}"#, "Invalid resource ':path'"),
        (#"{"permissions":{"mcp:":["execute"]}}"#, "Invalid resource 'mcp:': the path must not be empty"),
        (#"{"permissions":{"*":["read"]}}"#, "Invalid resource '*'"),
        (#"{"permissions":{"*:foo":["read"]}}"#, "Invalid resource '*:foo'"),
        (#"{"permissions":{"mcp!:test":["execute"]}}"#, "Invalid resource 'mcp!:test'"),
        (#"{"permissions":{"mcp:*":[]}}"#, "Empty action list for resource 'mcp:*'"),
        (#"{"permissions":{"stream:*":["Read"]}}"#, "Invalid action 'Read' for resource 'stream:*'"),
        (#"{"permissions":{"stream:*":["CREATE"]}}"#, "Invalid action 'CREATE' for resource 'stream:*'"),
        (#"{"permissions":{"stream:*":["destroy"]}}"#, "Invalid action 'destroy' for resource 'stream:*'"),
        (#"{"permissions":{"mcp:*":["create"]}}"#, "Action not valid for resource 'mcp:*': 'create'"),
        // Beyond the table: what the schema's keywords would also refuse, in the same words.
        (#"{"permissions":{"project:a*b":["read"]}}"#, "Invalid resource 'project:a*b'"),
        (#"{"permissions":{"projects:*":["read"]}}"#, "Invalid resource 'projects:*': unknown resource type 'projects'"),
        (#"{"permissions":{"stream:*":["re ad"]}}"#, "Invalid action 're ad' for resource 'stream:*'"),
        (#"{"permissions":{"env:*":["update"]}}"#, "Action not valid for resource 'env:*': 'update' (env accepts read)"),
    ]

    @Test("every row of the documentation's validation table is refused over HTTP with its words, by sessions and service keys alike",
          arguments: ["/v1/sessions", "/v1/service-keys"])
    func documentedPermissionMessages(_ path: String) async throws {
        let tenant = try await Tenant.make()
        for (body, prefix) in Self.documentedRefusals {
            let reply = try await tenant.send(.POST, path, body: body)
            #expect(reply.status == 400, "\(path) \(body)")
            #expect(reply.json?["error"]?["code"] == "bad_request")
            let message = reply.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.hasPrefix(prefix), "\(path) \(body): \(message)")
        }
        // A value of the wrong shape is still the schema's to word.
        let reply = try await tenant.send(.POST, path, body: #"{"permissions":{"stream:*":"read"}}"#)
        #expect(reply.status == 400)
        #expect(reply.json?["error"]?["message"]?.stringValue == "Invalid field 'permissions.stream:*': must be an array, not string")
    }

    @Test("a session cannot exceed its API key's permissions: 403 permission_escalation naming the grant")
    func escalation() async throws {
        let tenant = try await Tenant.make()
        let limited = try await tenant.key(permissions: ["event:user:*": ["create"], "stream:*": ["read"], "session:*": ["*"]])
        let ok = try await createSession(tenant, #"{"permissions":{"event:user:signup":["create"]}}"#, token: limited)
        #expect(ok.status == 201)
        let reply = try await createSession(tenant, #"{"permissions":{"event:*":["create"]}}"#, token: limited)
        #expect(reply.status == 403)
        #expect(reply.json?["error"]?["code"] == "permission_escalation")
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("event:*") == true)
    }

    @Test("a session's token authenticates within its permissions and is refused beyond them")
    func sessionToken() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("alpha")
        let created = try await createSession(tenant, #"{"permissions":{"project:alpha":["read"]}}"#)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/projects/alpha", token: token).status == 200)
        let other = try await tenant.send(.DELETE, "/v1/projects/alpha", token: token)
        #expect(other.status == 403)
        #expect(other.json?["error"]?["code"] == "forbidden")
        // Only API keys create sessions or service keys, whatever the session holds.
        let nested = try await createSession(tenant, #"{"permissions":{"project:alpha":["read"]}}"#, token: token)
        #expect(nested.status == 403)
        #expect(nested.json?["error"]?["code"] == "forbidden")
        #expect(try await tenant.send(.POST, "/v1/service-keys", body: #"{"permissions":{"project:alpha":["read"]}}"#, token: token).status == 403)
    }

    @Test("revoking one session: 204, then its token is 401; another API key's session is 404")
    func revokeOne() async throws {
        let tenant = try await Tenant.make()
        let created = try await createSession(tenant, #"{"permissions":{"env:*":["read"]}}"#)
        let id = try #require(created.json?["data"]?["session_id"]?.stringValue)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 200)
        let otherKey = try await tenant.key(permissions: ["*:*": ["*"]])
        #expect(try await tenant.send(.DELETE, "/v1/sessions/\(id)", token: otherKey).status == 404)
        #expect(try await tenant.send(.DELETE, "/v1/sessions/\(id)").status == 204)
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 401)
        let list = try await tenant.send(.GET, "/v1/sessions")
        #expect(list.json?["pagination"]?["total"] == 0)
    }

    @Test("revoking all sessions counts only the active ones of this API key")
    func revokeAll() async throws {
        let tenant = try await Tenant.make()
        for _ in 0..<3 { _ = try await createSession(tenant, #"{"permissions":{"env:*":["read"]}}"#) }
        let otherKey = try await tenant.key(permissions: ["*:*": ["*"]])
        _ = try await createSession(tenant, #"{"permissions":{"env:*":["read"]}}"#, token: otherKey)
        let reply = try await tenant.send(.DELETE, "/v1/sessions")
        #expect(reply.status == 200)
        #expect(reply.json?["data"]?["revoked_count"] == 3)
        #expect(try await tenant.send(.DELETE, "/v1/sessions").json?["data"]?["revoked_count"] == 0)
        #expect(try await tenant.send(.GET, "/v1/sessions", token: otherKey).json?["pagination"]?["total"] == 1)
    }

    @Test("an expired session is 401 and no longer listed (clock moved, not waited for)")
    func expiry() async throws {
        let server = try await TestServer.shared.running()
        let clock = ManualWallClock()
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: clock))
        let created = try await createSession(tenant, #"{"permissions":{"env:*":["read"]},"expires_in":60}"#)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        clock.advance(by: 59)
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 200)
        clock.advance(by: 1)
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 401)
        #expect(try await tenant.send(.GET, "/v1/sessions").json?["pagination"]?["total"] == 0)
    }

    @Test("an API key holds at most 1000 active sessions: the next is 429 session_limit_exceeded")
    func sessionLimit() async throws {
        let tenant = try await Tenant.make()
        let store = SessionStore(database: tenant.server.database)
        let now = Date()
        for _ in 0..<SessionStore.maximumActivePerAPIKey {
            _ = try await store.create(apiKeyId: tenant.keyId, envId: tenant.envId, permissions: ["env:*": ["read"]],
                                       metadata: nil, expiresAt: now.addingTimeInterval(3600), now: now)
        }
        let reply = try await createSession(tenant, #"{"permissions":{"env:*":["read"]}}"#)
        #expect(reply.status == 429)
        #expect(reply.json?["error"]?["code"] == "session_limit_exceeded")
        // Revoking frees room again.
        #expect(try await tenant.send(.DELETE, "/v1/sessions").json?["data"]?["revoked_count"] == 1000)
        #expect(try await createSession(tenant, #"{"permissions":{"env:*":["read"]}}"#).status == 201)
    }
}

@Suite("Credential use")
struct CredentialUseTests {
    @Test("a session records when it was last used, written in batches")
    func lastUsed() async throws {
        let server = try await TestServer.shared.running()
        let clock = ManualWallClock()
        let usage = CredentialUsage()
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: clock, usage: usage))
        let created = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        func lastUsed() async throws -> String? {
            let list = try await tenant.send(.GET, "/v1/sessions")
            guard case .array(let items)? = list.json?["data"] else { return nil }
            return items.first?["last_used_at"]?.stringValue
        }
        #expect(try await lastUsed() == nil)
        _ = try await tenant.send(.GET, "/v1/env", token: token)
        // Noted, not yet written: a read costs no write.
        #expect(try await lastUsed() == nil)
        #expect(try await usage.flush(server.database) == 1)
        let first = try #require(try await lastUsed())
        #expect(try await usage.flush(server.database) == 0)
        clock.advance(by: 30)
        _ = try await tenant.send(.GET, "/v1/env", token: token)
        _ = try await tenant.send(.GET, "/v1/env", token: token)
        #expect(try await usage.flush(server.database) == 1)
        let later = try #require(try await lastUsed())
        #expect(later > first)
    }
}

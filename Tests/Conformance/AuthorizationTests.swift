import Foundation
import HotImpl
import HotRuntime
import Testing

@Suite("Authorization")
struct AuthorizationTests {
    @Test("renaming needs update on the new name too: a grant on the old name alone cannot move a project under another")
    func renameChecksTheNewName() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("alpha")
        let limited = try await tenant.key(permissions: ["project:alpha": ["read", "update"]])
        let reply = try await tenant.send(.PATCH, "/v1/projects/alpha", body: #"{"name":"public-alpha"}"#, token: limited)
        #expect(reply.status == 403)
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("public-alpha") == true)
        let broader = try await tenant.key(permissions: ["project:alpha": ["update"], "project:public-*": ["update"]])
        #expect(try await tenant.send(.PATCH, "/v1/projects/alpha", body: #"{"name":"public-alpha"}"#, token: broader).status == 200)
    }

    @Test("a refusal names the resource as the request did, never a name the caller may not see")
    func refusalsEchoTheRequest() async throws {
        let tenant = try await Tenant.make()
        let secret = try await tenant.createProject("secret-project")
        let id = try #require(secret["project_id"]?.stringValue)
        let limited = try await tenant.key(permissions: ["project:other": ["read"]])
        let reply = try await tenant.send(.GET, "/v1/projects/\(id)", token: limited)
        #expect(reply.status == 403)
        let message = try #require(reply.json?["error"]?["message"]?.stringValue)
        #expect(!message.contains("secret-project"))
        #expect(message.contains(id))
    }

    @Test("a caller without the permission is refused before its body is read, however large")
    func refusedBeforeTheBody() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("alpha")
        let limited = try await tenant.key(permissions: ["project:alpha": ["read"]])
        let big = #"{"key":"K","value":""# + String(repeating: "v", count: 3 * 1024 * 1024) + #""}"#
        // context:{project} create is decided from the path alone: 403, not 413.
        let reply = try await tenant.send(.POST, "/v1/projects/alpha/context", body: big, token: limited)
        #expect(reply.status == 403)
    }

    @Test("a filtered list needs the action on some resource of the type")
    func filteredListNeedsTheType() async throws {
        let tenant = try await Tenant.make()
        let noProjects = try await tenant.key(permissions: ["env:*": ["read"]])
        let reply = try await tenant.send(.GET, "/v1/projects", token: noProjects)
        #expect(reply.status == 403)
        #expect(reply.json?["error"]?["code"] == "forbidden")
    }
}

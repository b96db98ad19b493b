import Foundation
import Generated
import HotImpl
import HotRuntime
import Hummingbird
import Logging
import NIOEmbedded
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

    // MARK: Failing closed

    /// Asks the server's authorizer whether a credential with `permissions` passes `requirement`
    /// for a request that sent `body`: nil when it does, else the refusal.
    static func refusal(of requirement: PermissionRequirement, permissions: [String: [String]], body: JSONValue) async throws -> APIError? {
        let server = try await TestServer.shared.running()
        let clock = SystemWallClock()
        let authorizer = Authorizer(database: server.database, clock: clock, limiter: RateLimiter(clock: clock), policy: .standard,
                                    cache: nil, usage: CredentialUsage())
        var context = HotRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: server.logger))
        context.credential = Credential(kind: .apiKey, id: UUID(), apiKeyId: UUID(), envId: UUID(), envName: "development",
                                        orgId: server.orgId, permissions: permissions)
        do {
            try await authorizer.authorize(context: &context, requirements: [requirement], inputs: PermissionInputs(body: body))
            return nil
        } catch let error as APIError {
            return error
        }
    }

    @Test("a placeholder the request cannot fill refuses (403) rather than skipping the check")
    func unresolvablePlaceholderRefuses() async throws {
        let grants = ["event:user:*": ["create"]]
        let body: JSONValue = ["event_type": "user:signup"]
        // Spelt right, the check runs and passes.
        #expect(try await Self.refusal(of: .init(resource: "event:{body.event_type}", action: "create", mode: .check),
                                       permissions: grants, body: body) == nil)
        // A misspelt or unknown placeholder used to resolve to nothing and skip the check.
        for template in ["event:{body.evnt_type}", "event:{bdy.event_type}", "event:{nothing}"] {
            let refusal = try await Self.refusal(of: .init(resource: template, action: "create", mode: .check), permissions: grants, body: body)
            #expect(refusal?.status == .forbidden, "\(template)")
            #expect(refusal?.code == "forbidden")
        }
    }

    @Test("a placeholder of an optional input applies only when the request sends it")
    func optionalPlaceholder() async throws {
        let requirement = PermissionRequirement(resource: "stream:{body.stream_id}", action: "read", mode: .check, mayBeAbsent: ["body.stream_id"])
        let stream = UUID().lowercased
        let none: [String: [String]] = ["event:*": ["create"]]
        #expect(try await Self.refusal(of: requirement, permissions: none, body: ["event_type": "x"]) == nil)
        #expect(try await Self.refusal(of: requirement, permissions: none, body: ["stream_id": .string(stream)])?.status == .forbidden)
        #expect(try await Self.refusal(of: requirement, permissions: ["stream:\(stream)": ["read"]], body: ["stream_id": .string(stream)]) == nil)
        // Not marked optional, the same absence refuses.
        let required = PermissionRequirement(resource: "stream:{body.stream_id}", action: "read", mode: .check)
        #expect(try await Self.refusal(of: required, permissions: none, body: ["event_type": "x"])?.status == .forbidden)
    }

    @Test("the generated table marks exactly the spec's optional inputs")
    func generatedOptionalMarks() throws {
        let marked = OperationTable.all.flatMap { operation in
            operation.permissions.filter { !$0.mayBeAbsent.isEmpty }.map { "\(operation.operationId) \($0.resource) \($0.mayBeAbsent.sorted())" }
        }
        // subscribe-with-event's stream_id is optional (without it, a new stream); every other input is required.
        #expect(marked == ["subscribeWithEvent stream:{body.stream_id} [\"body.stream_id\"]"])
        let publish = try #require(OperationTable.all.first { $0.operationId == "publishEvent" })
        #expect(publish.permissions.map(\.mayBeAbsent) == [[]])
    }

    @Test("the project a path names by id is looked up once: the authorizer leaves it in the context for the handler")
    func projectLookedUpOnce() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.createProject("once")
        let id = try #require(created["project_id"]?.stringValue)
        let server = try await TestServer.shared.running()
        let clock = SystemWallClock()
        let authorizer = Authorizer(database: server.database, clock: clock, limiter: RateLimiter(clock: clock), policy: .standard,
                                    cache: nil, usage: CredentialUsage())
        var context = HotRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: server.logger))
        context.credential = Credential(kind: .apiKey, id: UUID(), apiKeyId: UUID(), envId: tenant.envId, envName: tenant.envName,
                                        orgId: server.orgId, permissions: ["project:once": ["read"]])
        try await authorizer.authorize(context: &context, requirements: [.init(resource: "project:{project}", action: "read", mode: .check)],
                                       inputs: PermissionInputs(path: ["project_id_or_slug": id]))
        let lookup = try #require(context[ProjectLookup.self])
        #expect(lookup.idOrSlug == id)
        #expect(lookup.project?.name == "once")
        // A name needs no lookup to be checked: nothing is left for the handler.
        var byName = context
        byName[ProjectLookup.self] = nil
        try await authorizer.authorize(context: &byName, requirements: [.init(resource: "project:{project}", action: "read", mode: .check)],
                                       inputs: PermissionInputs(path: ["project_id_or_slug": "once"]))
        #expect(byName[ProjectLookup.self] == nil)
    }
}

import Foundation
import Generated
import HotRuntime
import PostgresNIO
import Testing

@Suite("Projects")
struct ProjectsTests {
    static func body(_ reply: Tenant.Reply) -> String { String(decoding: reply.body, as: UTF8.self) }

    static func errorCode(_ reply: Tenant.Reply) -> String? { reply.json?["error"]?["code"]?.stringValue }

    static func date(_ value: JSONValue?) -> Date? { value?.stringValue.flatMap(RFC3339.date(from:)) }

    /// Moves the project's timestamps an hour back, so that a change that left `updated_at` alone
    /// cannot pass for one that set it (they are given to the millisecond).
    static func backdate(_ project: JSONValue, _ tenant: Tenant) async throws {
        let id = try #require(project["project_id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        try await tenant.server.database.client.query("""
            UPDATE project SET created_at = created_at - interval '1 hour', updated_at = updated_at - interval '1 hour'
            WHERE project_id = \(id)
            """, logger: tenant.server.logger)
    }

    /// What a rename must answer: the project as it was, with the new name and `updated_at` set by
    /// the rename (not before it was sent; after the backdated `created_at`).
    static func expectRenamed(_ reply: Tenant.Reply, from before: JSONValue, to name: String, sent: Date,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(reply.status == 200, "\(Self.body(reply))", sourceLocation: sourceLocation)
        let data = try #require(reply.json?["data"], sourceLocation: sourceLocation)
        #expect(data["name"]?.stringValue == name, sourceLocation: sourceLocation)
        for field in ["project_id", "env_id", "active"] {
            #expect(data[field] == before[field], "\(field)", sourceLocation: sourceLocation)
        }
        let createdBefore = try #require(Self.date(before["created_at"]), sourceLocation: sourceLocation)
        let created = try #require(Self.date(data["created_at"]), sourceLocation: sourceLocation)
        let updated = try #require(Self.date(data["updated_at"]), sourceLocation: sourceLocation)
        // Backdated an hour: the answer carries that, give or take the text's millisecond.
        #expect(abs(created.timeIntervalSince(createdBefore) + 3600) < 0.01, "created_at \(created)", sourceLocation: sourceLocation)
        // The same clock wrote both; the slack is the millisecond the API rounds to.
        #expect(updated.timeIntervalSince(sent) > -0.01, "updated_at \(updated), request sent at \(sent)", sourceLocation: sourceLocation)
    }

    static func names(_ reply: Tenant.Reply) -> [String] {
        guard case .array(let items)? = reply.json?["data"] else { return [] }
        return items.compactMap { $0["name"]?.stringValue }
    }

    // MARK: CRUD

    @Test("create answers 201 with the project: the name sent, the caller's env, a fresh id")
    func create() async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"web-app"}"#)
        #expect(reply.status == 201, "\(Self.body(reply))")
        let data = try #require(reply.json?["data"])
        #expect(data["name"] == "web-app")
        #expect(data["env_id"]?.stringValue == tenant.envId.lowercased)
        #expect(data["active"] == true)
        let id = try #require(data["project_id"]?.stringValue)
        #expect(UUID(uuidString: id) != nil)
        #expect(id == id.lowercased())
        #expect(data["created_at"]?.stringValue.flatMap(RFC3339.date(from:)) != nil)
        // Unchanged since it was created.
        #expect(data["updated_at"] == data["created_at"])
    }

    @Test("a second project with the same name in the same env answers 409 conflict")
    func duplicateName() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("twin")
        let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"twin"}"#)
        #expect(reply.status == 409)
        #expect(Self.errorCode(reply) == "conflict")
        let list = try await tenant.send(.GET, "/v1/projects")
        #expect(Self.names(list) == ["twin"])
    }

    @Test("the same name in another env is a different project")
    func sameNameOtherEnv() async throws {
        let first = try await Tenant.make()
        let second = try await Tenant.make()
        let a = try await first.createProject("shared-name")
        let b = try await second.createProject("shared-name")
        #expect(a["project_id"] != b["project_id"])
        #expect(b["env_id"]?.stringValue == second.envId.lowercased)
    }

    @Test("a project is found by id and by name")
    func getByIdAndName() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.createProject("lookup")
        _ = try await tenant.createProject("other")
        let id = try #require(created["project_id"]?.stringValue)

        let byId = try await tenant.send(.GET, "/v1/projects/\(id)")
        #expect(byId.status == 200)
        #expect(byId.json?["data"] == created)

        let byName = try await tenant.send(.GET, "/v1/projects/lookup")
        #expect(byName.status == 200)
        #expect(byName.json?["data"] == created)

        // An id in uppercase names the same project.
        let upper = try await tenant.send(.GET, "/v1/projects/\(id.uppercased())")
        #expect(upper.json?["data"]?["project_id"]?.stringValue == id)
    }

    @Test("an unknown project answers 404 not_found, by name and by id")
    func getMissing() async throws {
        let tenant = try await Tenant.make()
        for path in ["/v1/projects/nothing-here", "/v1/projects/\(UUID().lowercased)"] {
            let reply = try await tenant.send(.GET, path)
            #expect(reply.status == 404, "\(path)")
            #expect(Self.errorCode(reply) == "not_found")
        }
    }

    @Test("rename answers the project with the new name, a new updated_at and all else kept: the new name finds it, the old one no longer does")
    func rename() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.createProject("before")
        try await Self.backdate(created, tenant)
        let sent = Date()
        let reply = try await tenant.send(.PATCH, "/v1/projects/before", body: #"{"name":"after"}"#)
        try Self.expectRenamed(reply, from: created, to: "after", sent: sent)

        // What GET reads is what the rename answered.
        #expect(try await tenant.send(.GET, "/v1/projects/after").json?["data"] == reply.json?["data"])
        #expect(try await tenant.send(.GET, "/v1/projects/before").status == 404)
    }

    @Test("rename by id works too")
    func renameById() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.createProject("by-id")
        let id = try #require(created["project_id"]?.stringValue)
        try await Self.backdate(created, tenant)
        let sent = Date()
        let reply = try await tenant.send(.PATCH, "/v1/projects/\(id)", body: #"{"name":"by-id-renamed"}"#)
        try Self.expectRenamed(reply, from: created, to: "by-id-renamed", sent: sent)
        #expect(try await tenant.send(.GET, "/v1/projects/by-id-renamed").json?["data"]?["project_id"]?.stringValue == id)
    }

    @Test("renaming onto a name another project has answers 409 and changes nothing")
    func renameConflict() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("first")
        _ = try await tenant.createProject("second")
        let reply = try await tenant.send(.PATCH, "/v1/projects/second", body: #"{"name":"first"}"#)
        #expect(reply.status == 409)
        #expect(Self.errorCode(reply) == "conflict")
        let list = try await tenant.send(.GET, "/v1/projects")
        #expect(Set(Self.names(list)) == ["first", "second"])
    }

    @Test("renaming a project to its own name succeeds and answers the project")
    func renameToSelf() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.createProject("same")
        let reply = try await tenant.send(.PATCH, "/v1/projects/same", body: #"{"name":"same"}"#)
        #expect(reply.status == 200, "\(Self.body(reply))")
        let data = try #require(reply.json?["data"])
        // The same project (whether updated_at moves for a name that did not change, the spec does not say).
        for field in ["project_id", "env_id", "name", "active", "created_at"] {
            #expect(data[field] == created[field], "\(field)")
        }
    }

    @Test("delete answers 204; afterwards the project is 404 and a second delete is 404")
    func delete() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("doomed")
        let reply = try await tenant.send(.DELETE, "/v1/projects/doomed")
        #expect(reply.status == 204)
        #expect(reply.body.isEmpty)
        #expect(try await tenant.send(.GET, "/v1/projects/doomed").status == 404)
        let again = try await tenant.send(.DELETE, "/v1/projects/doomed")
        #expect(again.status == 404)
        #expect(Self.errorCode(again) == "not_found")
        // The name is free again.
        #expect(try await tenant.send(.POST, "/v1/projects", body: #"{"name":"doomed"}"#).status == 201)
    }

    @Test("delete by id removes that project only")
    func deleteById() async throws {
        let tenant = try await Tenant.make()
        let id = try #require(try await tenant.createProject("gone")["project_id"]?.stringValue)
        _ = try await tenant.createProject("kept")
        #expect(try await tenant.send(.DELETE, "/v1/projects/\(id)").status == 204)
        #expect(try await tenant.send(.GET, "/v1/projects/\(id)").status == 404)
        #expect(Self.names(try await tenant.send(.GET, "/v1/projects")) == ["kept"])
    }

    @Test("an invalid name is refused with 400 naming the field", arguments: ["bad name", "-leading-dash", "", String(repeating: "a", count: 101)])
    func invalidName(name: String) async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"\#(name)"}"#)
        #expect(reply.status == 400)
        #expect(Self.errorCode(reply) == "bad_request")
        #expect(reply.json?["error"]?["message"]?.stringValue?.contains("'name'") == true)
    }

    // MARK: Pagination

    @Test("limit and offset page through the list: right totals, has_more, no overlap, nothing missed")
    func pagination() async throws {
        let tenant = try await Tenant.make()
        var created: Set<String> = []
        for index in 1...5 {
            created.insert(try #require(try await tenant.createProject("page-\(index)")["project_id"]?.stringValue))
        }
        var seen: [String] = []
        for (offset, expectedCount, expectedMore) in [(0, 2, true), (2, 2, true), (4, 1, false)] {
            let reply = try await tenant.send(.GET, "/v1/projects?limit=2&offset=\(offset)")
            #expect(reply.status == 200)
            let pagination = try #require(reply.json?["pagination"])
            #expect(pagination["total"] == 5)
            #expect(pagination["limit"] == 2)
            #expect(pagination["offset"] == .int(Int64(offset)))
            #expect(pagination["has_more"] == .bool(expectedMore), "offset \(offset)")
            guard case .array(let items)? = reply.json?["data"] else { Issue.record("no data array"); continue }
            #expect(items.count == expectedCount)
            seen += items.compactMap { $0["project_id"]?.stringValue }
        }
        #expect(seen.count == 5)
        #expect(Set(seen) == created)
    }

    @Test("the list comes newest first")
    func newestFirst() async throws {
        let tenant = try await Tenant.make()
        for name in ["one", "two", "three"] { _ = try await tenant.createProject(name) }
        #expect(Self.names(try await tenant.send(.GET, "/v1/projects")) == ["three", "two", "one"])
    }

    @Test("without limit and offset the defaults are the spec's (20 and 0), generated, not copied by hand")
    func defaults() async throws {
        let tenant = try await Tenant.make()
        let pagination = try #require(try await tenant.send(.GET, "/v1/projects").json?["pagination"])
        // The generated input's defaults are the spec's `default:` values …
        let generated = ListProjects.Input()
        #expect((generated.limit, generated.offset) == (20, 0))
        // … and are what a request without the parameters gets.
        #expect(pagination["limit"] == .int(Int64(generated.limit)))
        #expect(pagination["offset"] == .int(Int64(generated.offset)))
        #expect(pagination["total"] == 0)
        #expect(pagination["has_more"] == false)
    }

    @Test("a limit above 500 is clamped to 500")
    func limitClamped() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("only")
        for limit in [501, 100_000] {
            let reply = try await tenant.send(.GET, "/v1/projects?limit=\(limit)")
            #expect(reply.status == 200)
            #expect(reply.json?["pagination"]?["limit"] == 500)
            #expect(Self.names(reply) == ["only"])
        }
        #expect(try await tenant.send(.GET, "/v1/projects?limit=500").json?["pagination"]?["limit"] == 500)
    }

    @Test("bad limit or offset answers 400 bad_request naming the parameter", arguments: [
        ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"), ("limit=1.5", "limit"),
        ("offset=-1", "offset"), ("offset=x", "offset"),
    ])
    func badPagination(query: String, parameter: String) async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.GET, "/v1/projects?\(query)")
        #expect(reply.status == 400)
        #expect(Self.errorCode(reply) == "bad_request")
        let message = reply.json?["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("'\(parameter)'"), "\(message)")
    }

    @Test("an offset past the end gives an empty page with the right total")
    func offsetPastEnd() async throws {
        let tenant = try await Tenant.make()
        for index in 1...3 { _ = try await tenant.createProject("p\(index)") }
        for offset in [3, 50] {
            let reply = try await tenant.send(.GET, "/v1/projects?offset=\(offset)")
            #expect(reply.status == 200)
            #expect(reply.json?["data"] == .array([]))
            #expect(reply.json?["pagination"]?["total"] == 3)
            #expect(reply.json?["pagination"]?["offset"] == .int(Int64(offset)))
            #expect(reply.json?["pagination"]?["has_more"] == false)
        }
    }

    // MARK: Isolation

    @Test("another env's project is invisible: 404 by id and by name, absent from the list")
    func isolation() async throws {
        let a = try await Tenant.make()
        let b = try await Tenant.make()
        _ = try await a.createProject("mine")
        let theirs = try await b.createProject("theirs")
        let theirId = try #require(theirs["project_id"]?.stringValue)

        #expect(try await a.send(.GET, "/v1/projects/\(theirId)").status == 404)
        #expect(try await a.send(.GET, "/v1/projects/theirs").status == 404)
        #expect(try await a.send(.PATCH, "/v1/projects/\(theirId)", body: #"{"name":"stolen"}"#).status == 404)
        #expect(try await a.send(.DELETE, "/v1/projects/\(theirId)").status == 404)
        let list = try await a.send(.GET, "/v1/projects")
        #expect(Self.names(list) == ["mine"])
        #expect(list.json?["pagination"]?["total"] == 1)
        // B's project is untouched.
        #expect(try await b.send(.GET, "/v1/projects/\(theirId)").json?["data"]?["name"] == "theirs")
    }

    // MARK: Permissions

    @Test("a key granted read on one project lists and reads only that one, and is refused the rest")
    func exactPermission() async throws {
        let tenant = try await Tenant.make()
        let alpha = try await tenant.createProject("alpha")
        let beta = try await tenant.createProject("beta")
        _ = try await tenant.createProject("alphabet")
        let key = try await tenant.key(permissions: ["project:alpha": ["read"]])

        let list = try await tenant.send(.GET, "/v1/projects", token: key)
        #expect(list.status == 200)
        #expect(Self.names(list) == ["alpha"])
        #expect(list.json?["pagination"]?["total"] == 1)

        #expect(try await tenant.send(.GET, "/v1/projects/alpha", token: key).status == 200)
        let alphaId = try #require(alpha["project_id"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/projects/\(alphaId)", token: key).status == 200)

        let betaId = try #require(beta["project_id"]?.stringValue)
        for path in ["/v1/projects/beta", "/v1/projects/\(betaId)", "/v1/projects/alphabet"] {
            let reply = try await tenant.send(.GET, path, token: key)
            #expect(reply.status == 403, "\(path)")
            #expect(Self.errorCode(reply) == "forbidden")
        }
        let create = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"gamma"}"#, token: key)
        #expect(create.status == 403)
        #expect(Self.errorCode(create) == "forbidden")
        // Read does not imply update or delete.
        #expect(try await tenant.send(.PATCH, "/v1/projects/alpha", body: #"{"name":"x"}"#, token: key).status == 403)
        #expect(try await tenant.send(.DELETE, "/v1/projects/alpha", token: key).status == 403)
        #expect(Set(Self.names(try await tenant.send(.GET, "/v1/projects"))) == ["alpha", "beta", "alphabet"])
    }

    @Test("*:* limited to read reads any project, by id too, and is refused changing one")
    func everythingReadOnly() async throws {
        let tenant = try await Tenant.make()
        let project = try await tenant.createProject("ro")
        let id = try #require(project["project_id"]?.stringValue)
        let key = try await tenant.key(permissions: ["*:*": ["read"]])
        #expect(try await tenant.send(.GET, "/v1/projects/ro", token: key).status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/\(id)", token: key).status == 200)
        for path in ["/v1/projects/ro", "/v1/projects/\(id)"] {
            let reply = try await tenant.send(.DELETE, path, token: key)
            #expect(reply.status == 403, "DELETE \(path)")
            #expect(Self.errorCode(reply) == "forbidden")
        }
        #expect(try await tenant.send(.PATCH, "/v1/projects/ro", body: #"{"name":"x"}"#, token: key).status == 403)
    }

    @Test("a prefix grant lists only the projects whose names start with the prefix")
    func prefixPermission() async throws {
        let tenant = try await Tenant.make()
        for name in ["team-red", "team-blue", "teamster", "alpha", "my-team-x"] { _ = try await tenant.createProject(name) }
        let key = try await tenant.key(permissions: ["project:team-*": ["read"]])
        let list = try await tenant.send(.GET, "/v1/projects", token: key)
        #expect(list.status == 200)
        #expect(Set(Self.names(list)) == ["team-red", "team-blue"])
        #expect(list.json?["pagination"]?["total"] == 2)
        #expect(try await tenant.send(.GET, "/v1/projects/team-red", token: key).status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/teamster", token: key).status == 403)
    }

    @Test("a prefix with LIKE wildcards (_) matches them literally")
    func prefixIsLiteral() async throws {
        let tenant = try await Tenant.make()
        for name in ["a_1", "ab1", "a_"] { _ = try await tenant.createProject(name) }
        let key = try await tenant.key(permissions: ["project:a_*": ["read"]])
        #expect(Set(Self.names(try await tenant.send(.GET, "/v1/projects", token: key))) == ["a_1", "a_"])
    }

    @Test("exact and prefix grants combine in a list, and only grants carrying read count")
    func combinedPermissions() async throws {
        let tenant = try await Tenant.make()
        for name in ["alpha", "beta", "team-1", "gamma"] { _ = try await tenant.createProject(name) }
        let key = try await tenant.key(permissions: ["project:alpha": ["read"], "project:team-*": ["*"], "project:gamma": ["delete"]])
        #expect(Set(Self.names(try await tenant.send(.GET, "/v1/projects", token: key))) == ["alpha", "team-1"])
    }

    @Test("a key with no read on any project is refused the list with 403")
    func noReadAtAll() async throws {
        let tenant = try await Tenant.make()
        let key = try await tenant.key(permissions: ["event:*": ["read"]])
        let reply = try await tenant.send(.GET, "/v1/projects", token: key)
        #expect(reply.status == 403)
        #expect(Self.errorCode(reply) == "forbidden")
    }

    @Test("a create grant on a name lets the key create that name only")
    func createPermission() async throws {
        let tenant = try await Tenant.make()
        let key = try await tenant.key(permissions: ["project:allowed-*": ["create"]])
        let allowed = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"allowed-1"}"#, token: key)
        #expect(allowed.status == 201)
        #expect(allowed.json?["data"]?["name"] == "allowed-1")
        #expect(allowed.json?["data"]?["env_id"]?.stringValue == tenant.envId.lowercased)
        let refused = try await tenant.send(.POST, "/v1/projects", body: #"{"name":"other"}"#, token: key)
        #expect(refused.status == 403)
        #expect(Self.errorCode(refused) == "forbidden")
        // Only the allowed one was created.
        #expect(Self.names(try await tenant.send(.GET, "/v1/projects")) == ["allowed-1"])
    }
}

/// activateProject and deactivateProject, as the official SDK calls them.
@Suite("Project activation")
struct ProjectActivationTests {
    @Test("deactivating undeploys the builds (no routing, webhooks 404); activating redeploys the newest build; only API keys may")
    func toggle() async throws {
        let (tenant, urls) = try await WebhooksTests.deployed()
        let url = try #require(urls["made/"])
        #expect(try await WebhooksTests.send(.POST, url).status == 201)

        let off = try await tenant.send(.POST, "/v1/projects/app/deactivate")
        #expect(off.status == 200)
        #expect(off.json?["data"]?["project"]?["active"] == .bool(false))
        #expect(off.json?["data"]?["redeployed_build_id"] == .null)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/deployed").status == 404)
        #expect(try await tenant.send(.GET, "/v1/projects/app/webhooks").json?["data"] == .array([]))
        #expect(try await WebhooksTests.send(.POST, url).status == 404)

        // A newer build, uploaded while inactive, is the one activation deploys.
        let newer = try await CallsTests().upload(tenant, manifest: WebhooksTests.manifest, entries: [
            ("hooks.wat", WebhooksTests.echo), ("made.wat", WebhooksTests.created), ("broken.wat", WebhooksTests.failing), ("ok.wat", WebhooksTests.wrapped),
        ])
        let newerId = try #require(newer.buildId)
        let on = try await tenant.send(.POST, "/v1/projects/app/activate")
        #expect(on.status == 200)
        #expect(on.json?["data"]?["project"]?["active"] == .bool(true))
        #expect(on.json?["data"]?["redeployed_build_id"]?.stringValue == newerId)
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds/deployed").json?["data"]?["build_id"]?.stringValue == newerId)
        // The webhook kept its token: the same URL calls it again.
        #expect(try await WebhooksTests.send(.POST, url).status == 201)

        let session = try await Fixtures.created(tenant, "/v1/sessions", #"{"permissions":{"*:*":["*"]}}"#, id: "token")
        #expect(try await tenant.send(.POST, "/v1/projects/app/deactivate", token: session).status == 403)
        #expect(try await tenant.send(.POST, "/v1/projects/nothing/activate").status == 404)
    }

    @Test("activating a project without builds activates it and redeploys nothing")
    func empty() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("bare")
        #expect(try await tenant.send(.POST, "/v1/projects/bare/deactivate").json?["data"]?["project"]?["active"] == .bool(false))
        let on = try await tenant.send(.POST, "/v1/projects/bare/activate")
        #expect(on.json?["data"]?["project"]?["active"] == .bool(true))
        #expect(on.json?["data"]?["redeployed_build_id"] == .null)
    }
}

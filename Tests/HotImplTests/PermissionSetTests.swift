import HotImpl
import Testing

@Suite("PermissionSet")
struct PermissionSetTests {
    @Test("*:* with action * allows every action on every resource")
    func everything() {
        let permissions = PermissionSet(["*:*": ["*"]])
        #expect(permissions.allows("read", on: "project:alpha"))
        #expect(permissions.allows("delete", on: "event:user:created"))
        #expect(permissions.allows("execute", on: "mcp:tool"))
        #expect(PermissionSet.everything == permissions)
        #expect(permissions.allowsEverything)
        #expect(PermissionSet(["project:*": ["*"], "*:*": ["read"]]).allowsEverything == false)
        #expect(PermissionSet(["*:*": ["read", "write"]]).allowsEverything == false)
    }

    @Test("*:* limited to an action grants only that action")
    func everythingOneAction() {
        let permissions = PermissionSet(["*:*": ["read"]])
        #expect(permissions.allows("read", on: "project:alpha"))
        #expect(!permissions.allows("delete", on: "project:alpha"))
    }

    @Test("type:* allows every path of the type and nothing of another type")
    func typeWildcard() {
        let permissions = PermissionSet(["project:*": ["read"]])
        #expect(permissions.allows("read", on: "project:alpha"))
        #expect(permissions.allows("read", on: "project:a:b"))
        #expect(!permissions.allows("read", on: "event:alpha"))
        #expect(!permissions.allows("read", on: "projects:alpha"))
    }

    @Test("a path ending in * is a prefix: event:user:* matches event:user:created, not event:admin:x")
    func prefix() {
        let permissions = PermissionSet(["event:user:*": ["publish"]])
        #expect(permissions.allows("publish", on: "event:user:created"))
        #expect(permissions.allows("publish", on: "event:user:"))
        #expect(permissions.allows("publish", on: "event:user:deleted:soft"))
        #expect(!permissions.allows("publish", on: "event:admin:x"))
        #expect(!permissions.allows("publish", on: "event:user"))
        #expect(!permissions.allows("publish", on: "stream:user:created"))
    }

    @Test("an exact grant matches only that resource")
    func exact() {
        let permissions = PermissionSet(["project:alpha": ["read", "update"]])
        #expect(permissions.allows("read", on: "project:alpha"))
        #expect(permissions.allows("update", on: "project:alpha"))
        #expect(!permissions.allows("read", on: "project:alphabet"))
        #expect(!permissions.allows("read", on: "project:alph"))
        #expect(!permissions.allows("read", on: "project:beta"))
        #expect(!permissions.allows("read", on: "event:alpha"))
    }

    @Test("action * grants every action on the matched resource only")
    func actionWildcard() {
        let permissions = PermissionSet(["project:alpha": ["*"]])
        #expect(permissions.allows("read", on: "project:alpha"))
        #expect(permissions.allows("delete", on: "project:alpha"))
        #expect(!permissions.allows("read", on: "project:beta"))
    }

    @Test("an action not in the list is refused")
    func wrongAction() {
        let permissions = PermissionSet(["project:*": ["read"]])
        #expect(!permissions.allows("delete", on: "project:alpha"))
        #expect(!permissions.allows("create", on: "project:alpha"))
    }

    @Test("a URN without a colon matches nothing but *:*")
    func malformedURN() {
        #expect(!PermissionSet(["project:*": ["*"]]).allows("read", on: "project"))
        #expect(PermissionSet(["*:*": ["*"]]).allows("read", on: "project"))
    }

    @Test("no grants allow nothing")
    func empty() {
        let permissions = PermissionSet([:])
        #expect(!permissions.allows("read", on: "project:alpha"))
        #expect(!permissions.allowsSome("read", ofType: "project"))
        #expect(permissions.paths(for: "read", ofType: "project").map { $0.exact + $0.prefixes } == [])
    }

    @Test("allowsSome is true when any grant of the type (or *:*) carries the action")
    func allowsSome() {
        #expect(PermissionSet(["*:*": ["read"]]).allowsSome("read", ofType: "project"))
        #expect(PermissionSet(["project:alpha": ["read"]]).allowsSome("read", ofType: "project"))
        #expect(PermissionSet(["project:team-*": ["*"]]).allowsSome("read", ofType: "project"))
        #expect(!PermissionSet(["project:alpha": ["update"]]).allowsSome("read", ofType: "project"))
        #expect(!PermissionSet(["event:*": ["read"]]).allowsSome("read", ofType: "project"))
        #expect(!PermissionSet(["*:*": ["update"]]).allowsSome("read", ofType: "project"))
    }

    @Test("paths is nil when every path of the type is granted")
    func pathsUnrestricted() {
        #expect(PermissionSet(["*:*": ["*"]]).paths(for: "read", ofType: "project") == nil)
        #expect(PermissionSet(["project:*": ["read"]]).paths(for: "read", ofType: "project") == nil)
        // Even alongside narrower grants, a type-wide grant wins.
        #expect(PermissionSet(["project:alpha": ["read"], "project:*": ["*"]]).paths(for: "read", ofType: "project") == nil)
    }

    @Test("paths lists exact names and prefixes of the type for the action, and nothing else")
    func pathsRestricted() throws {
        let permissions = PermissionSet([
            "project:alpha": ["read"],
            "project:beta": ["*"],
            "project:team-*": ["read", "update"],
            "project:gamma": ["delete"],
            "event:*": ["read"],
            "*:*": ["create"],
        ])
        let paths = try #require(permissions.paths(for: "read", ofType: "project"))
        #expect(paths.exact.sorted() == ["alpha", "beta"])
        #expect(paths.prefixes == ["team-"])

        let deletable = try #require(permissions.paths(for: "delete", ofType: "project"))
        #expect(deletable.exact.sorted() == ["beta", "gamma"])
        #expect(deletable.prefixes == [])

        // *:* carries `create`, so every project path may be created.
        #expect(permissions.paths(for: "create", ofType: "project") == nil)
    }
}

import HotImpl
import HotRuntime
import Testing

@Suite("Permission validation and escalation")
struct PermissionRulesTests {
    /// The validation table of the Hot API documentation: each rejected map and a word its message
    /// must contain.
    static let rejected: [(map: [String: [String]], mentions: String)] = [
        (["no-colon-here": ["read"]], "no-colon-here"),
        (["": ["read"]], "Invalid resource ''"),
        ([":path": ["read"]], ":path"),
        (["mcp:": ["execute"]], "mcp:"),
        (["*": ["read"]], "*:*"),
        (["*:foo": ["read"]], "*:foo"),
        (["mcp!:test": ["execute"]], "mcp!:test"),
        (["mcp:*": []], "Empty action list for resource 'mcp:*'"),
        (["stream:*": ["Read"]], "'Read'"),
        (["stream:*": ["CREATE"]], "'CREATE'"),
        (["stream:*": ["destroy"]], "'destroy'"),
        (["mcp:*": ["create"]], "'create' is not valid for resource 'mcp:*'"),
        (["env:*": ["update"]], "'update' is not valid for resource 'env:*'"),
        (["session:*": ["update"]], "valid actions for session are create, read, delete"),
    ]

    @Test("every row of the seed's validation table is rejected with 400 naming the resource or action", arguments: rejected.indices)
    func rejects(_ index: Int) throws {
        let (map, mentions) = Self.rejected[index]
        do {
            try PermissionRules.validate(map)
            Issue.record("\(map) was accepted")
        } catch let error as APIError {
            #expect(error.status == .badRequest)
            #expect(error.code == "bad_request")
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }

    @Test("valid maps pass, including wildcards and every type's own actions")
    func accepts() throws {
        try PermissionRules.validate(["*:*": ["*"]])
        try PermissionRules.validate(["mcp:weather/get-forecast": ["execute"], "stream:*": ["read"], "event:user:*": ["create", "read"]])
        for (type, actions) in PermissionRules.validActions {
            try PermissionRules.validate(["\(type):*": actions + ["*"]])
        }
    }

    @Test("unknown types and * inside a path are refused: they would grant nothing yet look broad")
    func refusedShapes() {
        for map in [["projects:*": ["read"]], ["project:**": ["read"]], ["event:*:user": ["read"]], ["project:a*b*": ["read"]]] {
            #expect(throws: APIError.self) { try PermissionRules.validate(map) }
        }
    }

    @Test("a prefix child is covered only by a prefix it extends, its type's wildcard, or *:*")
    func prefixCoverage() {
        #expect(PermissionSet(["project:**": ["read"]]).firstGrantExceeding(PermissionSet(["project:*": ["read"]])) != nil)
        #expect(PermissionSet(["project:a": ["read"]]).firstGrantExceeding(PermissionSet(["project:a*": ["read"]])) != nil)
        #expect(PermissionSet(["project:*": ["read"]]).firstGrantExceeding(PermissionSet(["project:a*": ["read"]])) == nil)
        #expect(PermissionSet(["project:a*": ["read"]]).firstGrantExceeding(PermissionSet(["project:ab*": ["read"]])) == nil)
        #expect(PermissionSet(["project:a*": ["read"]]).firstGrantExceeding(PermissionSet(["project:ab": ["read"]])) == nil)
    }

    @Test("a map is covered by itself, by *:*, and by a parent with type and prefix wildcards")
    func subsets() {
        let child = PermissionSet(["event:user:created": ["create"], "stream:abc": ["read"], "mcp:weather/*": ["execute"]])
        #expect(child.firstGrantExceeding(child) == nil)
        #expect(PermissionSet.everything.firstGrantExceeding(child) == nil)
        let parent = PermissionSet(["event:user:*": ["create", "read"], "stream:*": ["read"], "mcp:*": ["*"]])
        #expect(parent.firstGrantExceeding(child) == nil)
    }

    @Test("escalation through wildcards is caught and names the first grant that exceeds")
    func escalations() throws {
        let parent = PermissionSet(["event:user:*": ["create"], "stream:*": ["read"]])
        // A broader path than the parent's prefix.
        let broader = try #require(parent.firstGrantExceeding(PermissionSet(["event:*": ["create"]])))
        #expect(broader.resource == "event:*" && broader.action == "create")
        // An action the parent lacks.
        let action = try #require(parent.firstGrantExceeding(PermissionSet(["event:user:1": ["read"]])))
        #expect(action.resource == "event:user:1" && action.action == "read")
        // `*` expands to every action of the type: event has create and read, the parent only create.
        #expect(parent.firstGrantExceeding(PermissionSet(["event:user:x": ["*"]]))?.action == "*")
        // The universal wildcard exceeds anything less.
        #expect(parent.firstGrantExceeding(PermissionSet(["*:*": ["read"]]))?.resource == "*:*")
        // A shorter prefix is broader: event:user:a* is not covered by event:user:ab*.
        let narrow = PermissionSet(["event:user:ab*": ["create"]])
        #expect(narrow.firstGrantExceeding(PermissionSet(["event:user:a*": ["create"]])) != nil)
        #expect(narrow.firstGrantExceeding(PermissionSet(["event:user:abc*": ["create"]])) == nil)
    }

    static func randomMap(_ rng: inout SeededGenerator) -> [String: [String]] {
        let types = Array(PermissionRules.validActions.keys).sorted()
        let segments = ["a", "ab", "abc", "b", "user", "x"]
        var map: [String: [String]] = [:]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let type = types.randomElement(using: &rng)!
            var path = (0..<Int.random(in: 1...3, using: &rng)).map { _ in segments.randomElement(using: &rng)! }.joined(separator: ":")
            if Bool.random(using: &rng) { path += "*" }
            if Int.random(in: 0..<6, using: &rng) == 0 { path = "*" }
            let valid = PermissionRules.validActions[type]!
            var actions = Array(valid.shuffled(using: &rng).prefix(Int.random(in: 1...valid.count, using: &rng)))
            if Int.random(in: 0..<5, using: &rng) == 0 { actions = ["*"] }
            map["\(type):\(path)"] = actions
        }
        return map
    }

    @Test("property: subsets hold for sub-maps and fail exactly when some concrete request would be escalated")
    func subsetProperties() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<500 {
            let parentMap = Self.randomMap(&rng)
            try PermissionRules.validate(parentMap)
            let parent = PermissionSet(parentMap)
            // Any map is within itself and within *:*.
            #expect(parent.firstGrantExceeding(parent) == nil)
            #expect(PermissionSet.everything.firstGrantExceeding(parent) == nil)
            // Dropping grants or actions never escalates.
            var sub: [String: [String]] = [:]
            for (resource, actions) in parentMap where Bool.random(using: &rng) {
                sub[resource] = actions == ["*"] ? ["*"] : Array(actions.prefix(1))
            }
            #expect(parent.firstGrantExceeding(PermissionSet(sub)) == nil, "\(sub) escaped \(parentMap)")
            // Soundness: whatever a covered child allows on a concrete URN, the parent allows too.
            let child = PermissionSet(Self.randomMap(&rng))
            if parent.firstGrantExceeding(child) == nil {
                for (resource, actions) in child.grants {
                    let type = String(resource.prefix { $0 != ":" })
                    let concrete = resource.replacingOccurrences(of: "*", with: "zz")
                    for action in actions.flatMap({ $0 == "*" ? PermissionRules.actions(expandingWildcardFor: type) : [$0] }) {
                        #expect(parent.allows(action, on: concrete), "\(child.grants) covered by \(parentMap) but \(action) on \(concrete) is not")
                    }
                }
            } else if let (resource, action) = parent.firstGrantExceeding(child) {
                // The reported grant really is part of the child.
                #expect(child.grants[resource]?.contains(action) == true)
            }
        }
    }
}

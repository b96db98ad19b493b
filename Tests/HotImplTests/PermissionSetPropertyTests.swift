import HotImpl
import Testing

/// Invariants of the permission model checked over many generated URNs (deterministic: a fixed
/// seed per test).
@Suite("PermissionSet properties")
struct PermissionSetPropertyTests {
    static let types = ["project", "event", "stream", "build", "context", "mcp"]
    static let actions = ["read", "create", "update", "delete", "publish", "execute"]
    /// No `*`: generated paths are concrete resources. `:` is included because paths may hold colons.
    static let pathAlphabet = Array("abcxyz019-_.:")

    struct URN {
        var type: String
        var path: String
        var text: String { "\(type):\(path)" }
    }

    static func path(length: ClosedRange<Int>, using generator: inout SeededGenerator) -> String {
        String((0..<Int.random(in: length, using: &generator)).map { _ in pathAlphabet.randomElement(using: &generator)! })
    }

    static func urn(using generator: inout SeededGenerator) -> URN {
        URN(type: types.randomElement(using: &generator)!, path: path(length: 1...12, using: &generator))
    }

    static func action(using generator: inout SeededGenerator) -> String {
        actions.randomElement(using: &generator)!
    }

    @Test("*:* with action * allows every action on every URN")
    func everythingAllowsAll() {
        var generator = SeededGenerator(seed: 1)
        let permissions = PermissionSet(["*:*": ["*"]])
        for _ in 0..<2000 {
            let urn = Self.urn(using: &generator)
            #expect(permissions.allows(Self.action(using: &generator), on: urn.text), "\(urn.text)")
        }
    }

    @Test("an exact grant allows exactly its URN and action")
    func exactGrant() {
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<300 {
            let granted = Self.urn(using: &generator)
            let action = Self.action(using: &generator)
            let permissions = PermissionSet([granted.text: [action]])
            #expect(permissions.allows(action, on: granted.text))
            for other in Self.actions where other != action {
                #expect(!permissions.allows(other, on: granted.text))
            }
            for _ in 0..<20 {
                let candidate = Self.urn(using: &generator)
                #expect(permissions.allows(action, on: candidate.text) == (candidate.text == granted.text), "\(granted.text) vs \(candidate.text)")
            }
            // Same path under every other type, and the path extended: all refused.
            for type in Self.types where type != granted.type {
                #expect(!permissions.allows(action, on: "\(type):\(granted.path)"))
            }
            #expect(!permissions.allows(action, on: granted.text + "x"))
        }
    }

    @Test("a prefix grant allows every URN of its type with the prefix and no URN of another type")
    func prefixGrant() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<300 {
            let type = Self.types.randomElement(using: &generator)!
            let prefix = Self.path(length: 0...5, using: &generator)
            let action = Self.action(using: &generator)
            let permissions = PermissionSet(["\(type):\(prefix)*": [action]])
            for _ in 0..<20 {
                let extended = prefix + Self.path(length: 0...6, using: &generator)
                #expect(permissions.allows(action, on: "\(type):\(extended)"), "\(type):\(prefix)* should allow \(type):\(extended)")
                for otherType in Self.types where otherType != type {
                    #expect(!permissions.allows(action, on: "\(otherType):\(extended)"))
                }
                let candidate = Self.urn(using: &generator)
                let expected = candidate.type == type && candidate.path.hasPrefix(prefix)
                #expect(permissions.allows(action, on: candidate.text) == expected, "\(type):\(prefix)* vs \(candidate.text)")
            }
        }
    }

    @Test("type:* allows exactly the URNs of its type")
    func typeGrant() {
        var generator = SeededGenerator(seed: 4)
        for type in Self.types {
            let permissions = PermissionSet(["\(type):*": ["*"]])
            for _ in 0..<300 {
                let candidate = Self.urn(using: &generator)
                #expect(permissions.allows(Self.action(using: &generator), on: candidate.text) == (candidate.type == type))
            }
        }
    }

    @Test("paths(for:ofType:) agrees with allows for random grant sets")
    func pathsAgreesWithAllows() {
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<300 {
            var grants: [String: [String]] = [:]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let urn = Self.urn(using: &generator)
                let pattern: String
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: pattern = "\(urn.type):*"
                case 1...3: pattern = "\(urn.type):\(urn.path.prefix(2))*"
                default: pattern = urn.text
                }
                grants[pattern] = [Self.action(using: &generator)]
            }
            let permissions = PermissionSet(grants)
            let type = Self.types.randomElement(using: &generator)!
            let action = Self.action(using: &generator)
            let paths = permissions.paths(for: action, ofType: type)
            #expect(permissions.allowsSome(action, ofType: type) == (paths.map { !$0.exact.isEmpty || !$0.prefixes.isEmpty } ?? true),
                    "\(grants) \(action) \(type)")
            // Candidates: the granted paths themselves, extensions of them, and random ones.
            var candidates = (0..<20).map { _ in Self.path(length: 1...8, using: &generator) }
            for pattern in grants.keys {
                let path = String(pattern.drop { $0 != ":" }.dropFirst())
                let base = path.hasSuffix("*") ? String(path.dropLast()) : path
                candidates += [base, base + "z", base + ":1"]
            }
            for path in candidates {
                let listed = paths.map { $0.exact.contains(path) || $0.prefixes.contains { path.hasPrefix($0) } } ?? true
                #expect(permissions.allows(action, on: "\(type):\(path)") == listed, "\(grants) \(action) \(type):\(path)")
            }
        }
    }
}

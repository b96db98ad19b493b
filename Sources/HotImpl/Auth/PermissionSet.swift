import HotRuntime

/// A credential's permission map — resource URN (`type:path`) → actions — and how it matches.
/// `*:*` matches everything, `type:*` every path of the type, a path ending in `*` is a prefix,
/// and the action `*` grants every action.
public struct PermissionSet: Sendable, Equatable {
    public var grants: [String: [String]]

    public init(_ grants: [String: [String]]) {
        self.grants = grants
    }

    public static let everything = PermissionSet(["*:*": ["*"]])

    /// Whether every action is granted on every resource (`*:*` with `*`, as API keys usually
    /// hold): then no resource needs resolving or matching.
    public var allowsEverything: Bool { grants["*:*"]?.contains("*") == true }

    /// Whether `action` is granted on the concrete resource `urn` (`type:path`).
    public func allows(_ action: String, on urn: String) -> Bool {
        grants.contains { pattern, actions in
            (actions.contains("*") || actions.contains(action)) && Self.matches(pattern: pattern, urn: urn)
        }
    }

    /// Whether `action` is granted on at least one resource of `type` (what a filtered list needs).
    public func allowsSome(_ action: String, ofType type: String) -> Bool {
        guard let paths = paths(for: action, ofType: type) else { return true }
        return !paths.exact.isEmpty || !paths.prefixes.isEmpty
    }

    /// The paths of `type` on which `action` is granted: nil when every path is, otherwise exact
    /// names and prefixes (from `prefix*` patterns).
    public func paths(for action: String, ofType type: String) -> (exact: [String], prefixes: [String])? {
        var exact: [String] = []
        var prefixes: [String] = []
        for (pattern, actions) in grants where actions.contains("*") || actions.contains(action) {
            if pattern == "*:*" { return nil }
            guard let (patternType, path) = Self.split(pattern), patternType == type else { continue }
            if path == "*" { return nil }
            if path.hasSuffix("*") { prefixes.append(String(path.dropLast())) } else { exact.append(path) }
        }
        return (exact, prefixes)
    }

    /// The first grant of `child` (resource, action) that this set does not cover, or nil when
    /// `child` is a subset. A child pattern counts as the resource it names, so `event:user:*` is
    /// covered by `event:*` or `event:user:*` but not by `event:user:a*`; `*` actions expand to
    /// every action valid for the type.
    public func firstGrantExceeding(_ child: PermissionSet) -> (resource: String, action: String)? {
        for resource in child.grants.keys.sorted() {
            let type = Self.split(resource)?.type ?? "*"
            for action in (child.grants[resource] ?? []).sorted() {
                let concrete = action == "*" ? PermissionRules.actions(expandingWildcardFor: type) : [action]
                for needed in concrete where !grants.contains(where: { pattern, actions in
                    (actions.contains("*") || actions.contains(needed)) && Self.covers(pattern: pattern, child: resource)
                }) {
                    return (resource, action)
                }
            }
        }
        return nil
    }

    /// Whether every URN the `child` pattern matches is matched by `pattern`. A child prefix
    /// (`Y*`) is covered only by a prefix it extends (`X*` with Y starting with X), by `type:*`, or
    /// by `*:*`; an exact child by anything that matches it.
    static func covers(pattern: String, child: String) -> Bool {
        if pattern == "*:*" { return true }
        guard let (patternType, patternPath) = split(pattern), let (childType, childPath) = split(child),
              patternType == childType, patternType != "*"
        else { return false }
        let childIsPrefix = childPath.hasSuffix("*")
        let childStem = childIsPrefix ? String(childPath.dropLast()) : childPath
        if patternPath.hasSuffix("*") {
            let stem = String(patternPath.dropLast())
            return !stem.contains("*") && childStem.hasPrefix(stem)
        }
        return !childIsPrefix && !patternPath.contains("*") && childPath == patternPath
    }

    static func matches(pattern: String, urn: String) -> Bool {
        if pattern == "*:*" { return true }
        guard let (patternType, patternPath) = split(pattern), let (type, path) = split(urn), patternType == type else {
            return false
        }
        if patternPath == "*" { return true }
        if patternPath.hasSuffix("*") { return path.hasPrefix(patternPath.dropLast()) }
        return path == patternPath
    }

    /// `type:path` at the first colon (paths may contain colons: `event:user:created`).
    static func split(_ urn: String) -> (type: String, path: String)? {
        guard let colon = urn.firstIndex(of: ":") else { return nil }
        return (String(urn[..<colon]), String(urn[urn.index(after: colon)...]))
    }
}

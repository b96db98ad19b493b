/// What a permission map may say: the resource types, the actions valid for each, and the URN
/// shape. Maps are validated whenever a credential is created (API keys, sessions, service keys).
///
/// Every message starts with the words of the Hot API documentation's validation table
/// ("Invalid resource", "Empty action list", "Invalid action", "Action not valid for resource") and
/// then says which entry and why. Requests reach these rules through the `Permissions` schema's
/// `x-hot-check` (`SchemaCheck.permissions`), before its keywords, so a client reads these words
/// whatever the schema's pattern would have said.
public enum PermissionRules {
    public static let actions: Set<String> = ["create", "read", "update", "delete", "execute", "*"]

    /// Resource type → the actions valid for it (the Hot API documentation's table).
    public static let validActions: [String: [String]] = [
        "mcp": ["execute"],
        "webhook": ["execute"],
        "stream": ["read"],
        "event": ["create", "read"],
        "run": ["read"],
        "call": ["create", "read"],
        "project": ["create", "read", "update", "delete"],
        "build": ["create", "read", "execute"],
        "context": ["create", "read", "update", "delete"],
        "key": ["create", "read", "update", "delete"],
        "session": ["create", "read", "delete"],
        "env": ["read"],
        // Files of an env (not in the Hot API documentation's table; the reference has no file type).
        "file": ["create", "read", "update", "delete"],
    ]

    /// The concrete actions `*` stands for on `type` (every action for `*:*` or a type the table does not list).
    public static func actions(expandingWildcardFor type: String) -> [String] {
        validActions[type] ?? ["create", "read", "update", "delete", "execute"]
    }

    /// Throws 400 `bad_request` naming the offending resource or action; checks keys in sorted
    /// order so the error is the same for the same map.
    public static func validate(_ permissions: [String: [String]]) throws {
        for resource in permissions.keys.sorted() {
            if let problem = problem(resource: resource, actions: permissions[resource] ?? []) {
                throw APIError.badRequest(problem)
            }
        }
    }

    /// The first problem of a permission map as the request sent it, or nil. Values that are not
    /// lists, and list items that are not strings, are left to the schema's keywords.
    @Sendable public static func problem(in value: JSONValue) -> String? {
        guard case .object(let members) = value else { return nil }
        for resource in members.keys.sorted() {
            let actions: [String]
            switch members[resource] {
            case .array(let items)?: actions = items.compactMap(\.stringValue)
            default: actions = ["*"]  // Only the resource is checked here.
            }
            if let problem = problem(resource: resource, actions: actions) { return problem }
        }
        return nil
    }

    /// Why one entry of a map breaks the rules, or nil.
    static func problem(resource: String, actions actionList: [String]) -> String? {
        let type: String
        switch resourceType(of: resource) {
        case .success(let found): type = found
        case .failure(let malformed): return "Invalid resource '\(resource)': \(malformed.why)"
        }
        guard !actionList.isEmpty else { return "Empty action list for resource '\(resource)'" }
        for action in actionList {
            guard action == action.lowercased(), actions.contains(action) else {
                return "Invalid action '\(action)' for resource '\(resource)': actions are lowercase create, read, update, delete, execute or *"
            }
            if action == "*" || type == "*" { continue }
            if let valid = validActions[type], !valid.contains(action) {
                return "Action not valid for resource '\(resource)': '\(action)' (\(type) accepts \(valid.joined(separator: ", ")))"
            }
        }
        return nil
    }

    /// Why a resource URN is not well formed.
    struct Malformed: Error {
        let why: String
        init(_ why: String) { self.why = why }
    }

    /// The type of a well-formed URN, or why it is not one.
    static func resourceType(of resource: String) -> Result<String, Malformed> {
        guard !resource.isEmpty else { return .failure(Malformed("the resource must not be empty")) }
        guard resource != "*" else { return .failure(Malformed("a bare * is not valid, use *:*")) }
        guard let colon = resource.firstIndex(of: ":") else { return .failure(Malformed("expected type:path")) }
        let type = String(resource[..<colon])
        let path = resource[resource.index(after: colon)...]
        guard !type.isEmpty else { return .failure(Malformed("the type must not be empty")) }
        guard !path.isEmpty else { return .failure(Malformed("the path must not be empty")) }
        if type == "*" {
            return path == "*" ? .success(type) : .failure(Malformed("the * type only allows the * path (*:*)"))
        }
        guard type.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }) else {
            return .failure(Malformed("the type must be letters, digits and hyphens"))
        }
        guard validActions[type] != nil else {
            return .failure(Malformed("unknown resource type '\(type)' (known: \(validActions.keys.sorted().joined(separator: ", ")))"))
        }
        // `*` is a wildcard only at the end of a path; elsewhere it would read as a pattern that
        // matches nothing yet looks broad to the subset check.
        guard !path.dropLast().contains("*") else {
            return .failure(Malformed("* may only end a path (e.g. event:user:*)"))
        }
        return .success(type)
    }
}

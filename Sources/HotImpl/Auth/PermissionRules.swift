import HotRuntime

/// What a permission map may say: the resource types, the actions valid for each, and the URN
/// shape. Maps are validated whenever a credential is created (API keys, sessions, service keys).
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
    ]

    /// The concrete actions `*` stands for on `type` (every action for `*:*` or a type the table does not list).
    public static func actions(expandingWildcardFor type: String) -> [String] {
        validActions[type] ?? ["create", "read", "update", "delete", "execute"]
    }

    /// Throws 400 `bad_request` naming the offending resource or action; checks keys in sorted
    /// order so the error is the same for the same map.
    public static func validate(_ permissions: [String: [String]]) throws {
        for resource in permissions.keys.sorted() {
            let type = try resourceType(of: resource)
            let actionList = permissions[resource] ?? []
            guard !actionList.isEmpty else {
                throw APIError.badRequest("Empty action list for resource '\(resource)'")
            }
            for action in actionList {
                guard action == action.lowercased(), actions.contains(action) else {
                    throw APIError.badRequest(
                        "Invalid action '\(action)' for resource '\(resource)': actions are lowercase create, read, update, delete, execute or *")
                }
                if action == "*" || type == "*" { continue }
                if let valid = validActions[type], !valid.contains(action) {
                    throw APIError.badRequest(
                        "Action '\(action)' is not valid for resource '\(resource)': valid actions for \(type) are \(valid.joined(separator: ", "))")
                }
            }
        }
    }

    /// The type of a well-formed URN, or 400 naming the resource.
    static func resourceType(of resource: String) throws -> String {
        func invalid(_ why: String) -> APIError {
            APIError.badRequest("Invalid resource '\(resource)': \(why)")
        }
        guard !resource.isEmpty else { throw invalid("the resource must not be empty") }
        guard resource != "*" else { throw invalid("a bare * is not valid, use *:*") }
        guard let colon = resource.firstIndex(of: ":") else { throw invalid("expected type:path") }
        let type = String(resource[..<colon])
        let path = resource[resource.index(after: colon)...]
        guard !type.isEmpty else { throw invalid("the type must not be empty") }
        guard !path.isEmpty else { throw invalid("the path must not be empty") }
        if type == "*" {
            guard path == "*" else { throw invalid("the * type only allows the * path (*:*)") }
            return type
        }
        guard type.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }) else {
            throw invalid("the type must be letters, digits and hyphens")
        }
        guard validActions[type] != nil else {
            throw invalid("unknown resource type '\(type)' (known: \(validActions.keys.sorted().joined(separator: ", ")))")
        }
        // `*` is a wildcard only at the end of a path; elsewhere it would read as a pattern that
        // matches nothing yet looks broad to the subset check.
        guard !path.dropLast().contains("*") else {
            throw invalid("* may only end a path (e.g. event:user:*)")
        }
        return type
    }
}

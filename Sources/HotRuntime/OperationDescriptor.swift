import HTTPTypes

/// The permission an operation needs, as the spec's `x-hot-permission` declares it.
public struct PermissionRequirement: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// The credential needs `action` on the concrete resource.
        case check
        /// A list: the credential needs `action` on some resource of the type; results are filtered.
        case filter
    }

    /// URN template, e.g. `project:{project}` or `event:{body.event_type}`.
    public let resource: String
    public let action: String
    public let mode: Mode
    /// The resource type: the part of the template before the first colon.
    public let resourceType: String
    /// Whether the template names a request body value (then it can only be checked once the
    /// body is read; otherwise before).
    public let readsBody: Bool
    /// Placeholders naming inputs a request may leave out (an optional query parameter or body
    /// field, as the generator read the spec): when one is absent the requirement does not apply.
    /// Any other placeholder that cannot be resolved refuses the request.
    public let mayBeAbsent: Set<String>

    public init(resource: String, action: String, mode: Mode, mayBeAbsent: Set<String> = []) {
        self.resource = resource
        self.action = action
        self.mode = mode
        self.mayBeAbsent = mayBeAbsent
        self.resourceType = String(resource.prefix { $0 != ":" })
        self.readsBody = resource.contains("{body.")
    }
}

/// One row of the operation table: what the authentication middleware and the router know of
/// an operation.
public struct OperationDescriptor: Sendable, Equatable {
    public var operationId: String
    public var method: HTTPRequest.Method
    /// OpenAPI path template, e.g. `/v1/projects/{project_id_or_slug}`.
    public var path: String
    /// Empty: no authentication.
    public var credentials: Set<CredentialKind>
    /// Every one must be granted (empty: authentication alone suffices).
    public let permissions: [PermissionRequirement]
    /// `permissions` split once: those checked before the body is read, and those on its values.
    public let permissionsBeforeBody: [PermissionRequirement]
    public let permissionsOnBody: [PermissionRequirement]
    /// The SSE event names an event-stream operation sends (`x-hot-sse-events`); empty for others.
    public var eventTypes: [String]
    /// The path's last parameter takes the rest of the path, slashes and all (`x-hot-rest-of-path`).
    public var restOfPath: Bool

    public init(operationId: String, method: HTTPRequest.Method, path: String, credentials: Set<CredentialKind>,
                permissions: [PermissionRequirement], eventTypes: [String] = [], restOfPath: Bool = false) {
        self.operationId = operationId
        self.method = method
        self.path = path
        self.credentials = credentials
        self.permissions = permissions
        self.permissionsBeforeBody = permissions.filter { !$0.readsBody }
        self.permissionsOnBody = permissions.filter(\.readsBody)
        self.eventTypes = eventTypes
        self.restOfPath = restOfPath
    }

    /// Whether a request path (split on `/`, empty segments dropped) is one of this template's:
    /// literal segments equal, a `{parameter}` any one segment, or, with `restOfPath`, the last
    /// parameter one segment or more.
    public static func matches(template: [Substring], path: [Substring], restOfPath: Bool) -> Bool {
        guard restOfPath, let last = template.last, last.hasPrefix("{") else {
            return template.count == path.count && zip(template, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        return path.count >= template.count && zip(template.dropLast(), path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    public var requiresAuthentication: Bool { !credentials.isEmpty }
}

/// The values of a request that a permission template can name.
public struct PermissionInputs: Sendable {
    public var path: [String: String]
    public var query: [String: String]
    public var body: JSONValue?

    public init(path: [String: String] = [:], query: [String: String] = [:], body: JSONValue? = nil) {
        self.path = path
        self.query = query
        self.body = body
    }
}

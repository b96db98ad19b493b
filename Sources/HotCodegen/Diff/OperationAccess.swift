import OpenAPIKit

/// Who may call an operation, as its `x-hot-credentials` and `x-hot-permission` say (read as the
/// translator reads them for the operation table; a malformed value is the generator's to refuse).
struct OperationAccess {
    struct Requirement: Equatable {
        var resource: String
        var action: String
        var mode: String

        var text: String { "\(action) on \(resource)" }
    }

    var credentials: [String]
    var permissions: [Requirement]

    var isPublic: Bool { credentials.isEmpty }

    init(_ operation: OpenAPI.Operation) {
        let extensions = operation.vendorExtensions
        credentials = ((extensions["x-hot-credentials"]?.value as? [Any]) ?? []).compactMap { $0 as? String }
        let entries: [Any]
        switch extensions["x-hot-permission"]?.value {
        case let list as [Any]: entries = list
        case let map as [String: Any]: entries = [map]
        default: entries = [] // absent, or `none`: authentication alone
        }
        permissions = entries.compactMap { entry in
            guard let map = entry as? [String: Any], let resource = map["resource"] as? String, let action = map["action"] as? String else { return nil }
            return Requirement(resource: resource, action: action, mode: map["mode"] as? String ?? "check")
        }
    }
}

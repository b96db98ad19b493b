import Foundation
import HotRuntime
import Hummingbird
import Logging

/// Authentication and authorization for every route, driven by the generated operation table:
/// the bearer token must be a live credential of a type the operation allows, and its permissions
/// must grant the operation's action on the resource the request names.
public struct Authorizer: RequestAuthorizer {
    let apiKeys: APIKeyStore
    let projects: ProjectStore

    public init(apiKeys: APIKeyStore, projects: ProjectStore) {
        self.apiKeys = apiKeys
        self.projects = projects
    }

    public func authenticate(_ request: Request, context: HotRequestContext, operation: OperationDescriptor) async throws -> Credential? {
        guard operation.requiresAuthentication else { return nil }
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("Missing Authorization header: send 'Authorization: Bearer <token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("Authorization header must be 'Bearer <token>'")
        }
        let credential = try await credential(for: String(parts[1]).trimmingCharacters(in: .whitespaces))
        guard operation.credentials.contains(credential.kind) else {
            throw APIError.forbidden("This operation does not accept a \(credential.kind.displayName) credential")
        }
        return credential
    }

    func credential(for token: String) async throws -> Credential {
        guard let parsed = APIKeyToken.parse(token) else { throw APIError.unauthorized() }
        guard let (record, digest) = try await apiKeys.findWithDigest(id: parsed.keyId),
              SecretHash.matches(parsed.secret, digest: digest),
              record.revokedAt == nil
        else {
            throw APIError.unauthorized()
        }
        return Credential(kind: .apiKey, id: record.id, apiKeyId: record.id, envId: record.envId, orgId: record.orgId,
                          permissions: record.permissions)
    }

    public func authorize(context: HotRequestContext, operation: OperationDescriptor, inputs: PermissionInputs) async throws {
        guard let requirement = operation.permission, let credential = context.credential else { return }
        let permissions = PermissionSet(credential.permissions)
        switch requirement.mode {
        case .filter:
            guard permissions.allowsSome(requirement.action, ofType: requirement.resourceType) else {
                throw APIError.forbidden("Credential lacks '\(requirement.action)' on any \(requirement.resourceType) resource")
            }
        case .check:
            let urn = try await resolve(requirement.resource, inputs: inputs, credential: credential)
            guard permissions.allows(requirement.action, on: urn) else {
                throw APIError.forbidden("Credential lacks '\(requirement.action)' on \(urn)")
            }
        }
    }

    /// Fills a URN template's placeholders from the request.
    func resolve(_ template: String, inputs: PermissionInputs, credential: Credential) async throws -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += try await value(of: name, inputs: inputs, credential: credential)
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    private func value(of placeholder: String, inputs: PermissionInputs, credential: Credential) async throws -> String {
        switch placeholder {
        case "project":
            let slug = inputs.path["project_id_or_slug"] ?? ""
            // Permissions name projects; a request may give the id. An unknown project keeps the
            // literal slug, so the check cannot reveal whether it exists elsewhere.
            return try await projects.find(envId: credential.envId, idOrName: slug)?.name ?? slug
        case "env":
            return try await apiKeys.find(id: credential.apiKeyId)?.envName ?? ""
        default:
            let parts = placeholder.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return "" }
            switch parts[0] {
            case "path": return inputs.path[parts[1]] ?? ""
            case "query": return inputs.query[parts[1]] ?? ""
            case "body": return inputs.body?[parts[1]]?.stringValue ?? ""
            default: return ""
            }
        }
    }
}

extension CredentialKind {
    var displayName: String {
        switch self {
        case .apiKey: "API key"
        case .serviceKey: "service key"
        case .session: "session"
        }
    }
}

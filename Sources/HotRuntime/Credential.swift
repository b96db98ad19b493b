import Foundation

/// The kinds of bearer credential the API accepts; the spec's `x-hot-credentials` names them.
public enum CredentialKind: String, Sendable, Hashable, CaseIterable {
    case apiKey = "api_key"
    case serviceKey = "service_key"
    case session = "session"
}

/// Who is calling: established by the authenticator before an operation runs.
public struct Credential: Sendable, Equatable {
    public var kind: CredentialKind
    /// The id of the API key, service key or session.
    public var id: UUID
    /// The API key that issued this credential (its own id for an API key).
    public var apiKeyId: UUID
    public var envId: UUID
    /// The env's name (what `{env}` in a permission template stands for).
    public var envName: String
    public var orgId: UUID
    /// Resource URN → actions, as stored with the credential.
    public var permissions: [String: [String]]
    /// Whether the env is active (as `GET /v1/env` shows it).
    public var envActive: Bool
    /// The org's plan (rate limits, plan-gated features).
    public var plan: String

    public init(kind: CredentialKind, id: UUID, apiKeyId: UUID, envId: UUID, envName: String, orgId: UUID, permissions: [String: [String]],
                envActive: Bool = true, plan: String = "self-hosted") {
        self.kind = kind
        self.id = id
        self.apiKeyId = apiKeyId
        self.envId = envId
        self.envName = envName
        self.orgId = orgId
        self.permissions = permissions
        self.envActive = envActive
        self.plan = plan
    }
}

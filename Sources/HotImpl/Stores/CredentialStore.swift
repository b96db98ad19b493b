import Foundation
import HotRuntime
import PostgresNIO

/// Looks up a bearer credential by the id in its token, with what authentication checks: the
/// secret's digest, whether it (or its issuing API key) is revoked, its expiry, and the org's plan.
public struct CredentialStore: Sendable {
    public struct Found: Sendable {
        public var credential: Credential
        public var digest: String
        /// The credential, or the API key that issued it, is revoked.
        public var isRevoked: Bool
        public var expiresAt: Date?
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func find(_ token: BearerToken) async throws -> Found? {
        switch token {
        case .apiKey(let key):
            return try await first(.apiKey, database.query("""
                SELECT k.api_key_id, k.api_key_id, e.env_id, e.org_id, e.name, k.permissions::text, k.secret_hash,
                       k.revoked_at IS NOT NULL, NULL::timestamptz, o.plan, e.active
                FROM api_key k JOIN env e ON e.env_id = k.env_id JOIN org o ON o.org_id = e.org_id
                WHERE k.api_key_id = \(key.keyId)
                """))
        case .session(let id, _):
            return try await first(.session, database.query("""
                SELECT s.session_id, s.api_key_id, e.env_id, e.org_id, e.name, s.permissions::text, s.secret_hash,
                       s.revoked_at IS NOT NULL OR k.revoked_at IS NOT NULL, s.expires_at, o.plan, e.active
                FROM session s JOIN api_key k ON k.api_key_id = s.api_key_id
                JOIN env e ON e.env_id = s.env_id JOIN org o ON o.org_id = e.org_id
                WHERE s.session_id = \(id)
                """))
        case .serviceKey(let id, _):
            return try await first(.serviceKey, database.query("""
                SELECT s.service_key_id, s.api_key_id, e.env_id, e.org_id, e.name, s.permissions::text, s.secret_hash,
                       s.revoked_at IS NOT NULL OR k.revoked_at IS NOT NULL, s.expires_at, o.plan, e.active
                FROM service_key s JOIN api_key k ON k.api_key_id = s.api_key_id
                JOIN env e ON e.env_id = s.env_id JOIN org o ON o.org_id = e.org_id
                WHERE s.service_key_id = \(id)
                """))
        }
    }

    private func first(_ kind: CredentialKind, _ rows: Rows) throws -> Found? {
        let decoded = try rows.all((UUID, UUID, UUID, UUID, String, String, String, Bool, Date?, String, Bool).self)
        guard let row = decoded.first else { return nil }
        let permissions = try JSONColumn.decode([String: [String]].self, from: row.5)
        return Found(
            credential: Credential(kind: kind, id: row.0, apiKeyId: row.1, envId: row.2, envName: row.4, orgId: row.3, permissions: permissions,
                                   envActive: row.10, plan: row.9),
            digest: row.6, isRevoked: row.7, expiresAt: row.8)
    }
}

import Foundation
import HotRuntime
import PostgresNIO

/// API keys, created and listed by the CLI. (Requests look credentials up through CredentialStore.)
public struct APIKeyStore: Sendable {
    public struct Record: Sendable, Equatable {
        public var id: UUID
        public var envId: UUID
        public var envName: String
        public var orgId: UUID
        public var name: String?
        public var permissions: [String: [String]]
        public var createdAt: Date
        public var revokedAt: Date?
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates a key in `envId`; the token is returned here and never again.
    public func create(envId: UUID, name: String?, permissions: [String: [String]]) async throws -> (Record, APIKeyToken) {
        let id = UUID.v7()
        let token = APIKeyToken.generate(keyId: id)
        let digest = SecretHash.digest(token.secret)
        let permissionsText = try JSONColumn.text(permissions)
        let rows = try await database.query("""
            WITH k AS (
                INSERT INTO api_key (api_key_id, env_id, name, secret_hash, permissions)
                VALUES (\(id), \(envId), \(name), \(digest), \(permissionsText)::jsonb)
                RETURNING *
            )
            SELECT k.api_key_id, k.env_id, e.name, e.org_id, k.name, k.permissions::text, k.created_at, k.revoked_at
            FROM k JOIN env e ON e.env_id = k.env_id
            """).all(Row.self)
        guard let row = rows.first else { throw StoreError.missing("env \(envId)") }
        return (try Self.record(row), token)
    }

    /// All keys of the default org, or of one env; never secrets.
    public func list(envName: String?) async throws -> [Record] {
        try await database.query("""
            SELECT k.api_key_id, k.env_id, e.name, e.org_id, k.name, k.permissions::text, k.created_at, k.revoked_at
            FROM api_key k JOIN env e ON e.env_id = k.env_id
            WHERE \(envName) IS NULL OR e.name = \(envName)
            ORDER BY k.created_at, k.api_key_id
            """).all(Row.self).map(Self.record)
    }

    typealias Row = (UUID, UUID, String, UUID, String?, String, Date, Date?)

    static func record(_ row: Row) throws -> Record {
        Record(id: row.0, envId: row.1, envName: row.2, orgId: row.3, name: row.4,
               permissions: try JSONColumn.decode([String: [String]].self, from: row.5), createdAt: row.6, revokedAt: row.7)
    }

    /// Revokes a key; false when there is no such key.
    public func revoke(id: UUID) async throws -> Bool {
        let rows = try await database.query("""
            UPDATE api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE api_key_id = \(id) RETURNING api_key_id
            """).all(UUID.self)
        return !rows.isEmpty
    }
}

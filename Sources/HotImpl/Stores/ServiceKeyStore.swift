import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Service keys issued by API keys. Their metadata is sealed with the server's key at rest.
public struct ServiceKeyStore: Sendable {
    let database: Database
    let box: SecretBox

    public init(database: Database, box: SecretBox) {
        self.database = database
        self.box = box
    }

    public struct NewKey: Sendable {
        public var name: String?
        public var description: String?
        public var permissions: [String: [String]]
        public var metadata: JSONValue?
        public var expiresAt: Date?

        public init(name: String?, description: String? = nil, permissions: [String: [String]], metadata: JSONValue? = nil, expiresAt: Date? = nil) {
            self.name = name
            self.description = description
            self.permissions = permissions
            self.metadata = metadata
            self.expiresAt = expiresAt
        }
    }

    public func create(apiKeyId: UUID, envId: UUID, _ key: NewKey, now: Date) async throws -> CreatedServiceKey {
        let id = UUID.v7(now: now)
        let token = BearerToken.newServiceKey(id: id)
        let permissionsText = try JSONColumn.text(key.permissions)
        let sealed = try key.metadata.map { try box.seal(try $0.serialized()) }
        let digest = SecretHash.digest(token.secret)
        let created = try await database.query("""
            INSERT INTO service_key (service_key_id, api_key_id, env_id, name, description, secret_hash, permissions,
                                     metadata_sealed, expires_at, created_at)
            VALUES (\(id), \(apiKeyId), \(envId), \(key.name), \(key.description), \(digest), \(permissionsText)::jsonb,
                    \(sealed), \(key.expiresAt), \(now))
            RETURNING created_at
            """).all(Date.self)[0]
        return CreatedServiceKey(serviceKeyId: id, name: key.name, description: key.description, token: token.text,
                                 permissions: key.permissions, metadata: key.metadata, expiresAt: key.expiresAt, createdAt: created)
    }


    /// The API key's service keys (revoked ones too), newest first.
    public func list(apiKeyId: UUID, page: PageRequest) async throws -> Page<ServiceKey> {
        let rows = try await database.query("""
            SELECT service_key_id, name, description, permissions::text, metadata_sealed, expires_at, revoked_at,
                   created_at, last_used_at, count(*) OVER ()
            FROM service_key WHERE api_key_id = \(apiKeyId)
            ORDER BY created_at DESC, service_key_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, String?, String?, String, String?, Date?, Date?, Date, Date?, Int).self)
        let total = try await database.total(
            windowCount: rows.first?.9, page: page, count: "SELECT count(*)::bigint FROM service_key WHERE api_key_id = \(apiKeyId)")
        let keys = try rows.map { try serviceKey(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8)) }
        return Page(items: keys, total: total, limit: page.limit, offset: page.offset)
    }

    /// One of the API key's service keys.
    public func find(id: UUID, apiKeyId: UUID) async throws -> ServiceKey? {
        let rows = try await database.query("""
            SELECT service_key_id, name, description, permissions::text, metadata_sealed, expires_at, revoked_at, created_at, last_used_at
            FROM service_key WHERE service_key_id = \(id) AND api_key_id = \(apiKeyId)
            """).all((UUID, String?, String?, String, String?, Date?, Date?, Date, Date?).self)
        return try rows.first.map(serviceKey)
    }

    public enum MetadataUpdate: Sendable {
        case updated(ServiceKey)
        case revoked
        case notFound
    }

    /// Replaces the metadata of one of the API key's service keys (nil clears it), unless it is revoked.
    public func updateMetadata(id: UUID, apiKeyId: UUID, metadata: JSONValue?) async throws -> MetadataUpdate {
        let sealed = try metadata.map { try box.seal(try $0.serialized()) }
        let rows = try await database.query("""
            UPDATE service_key SET metadata_sealed = CASE WHEN revoked_at IS NULL THEN \(sealed) ELSE metadata_sealed END
            WHERE service_key_id = \(id) AND api_key_id = \(apiKeyId)
            RETURNING service_key_id, name, description, permissions::text, metadata_sealed, expires_at, revoked_at, created_at, last_used_at
            """).all((UUID, String?, String?, String, String?, Date?, Date?, Date, Date?).self)
        guard let row = rows.first else { return .notFound }
        guard row.6 == nil else { return .revoked }
        return .updated(try serviceKey(row))
    }

    public func revoke(id: UUID, apiKeyId: UUID, now: Date) async throws -> Bool {
        let rows = try await database.query("""
            UPDATE service_key SET revoked_at = COALESCE(revoked_at, \(now))
            WHERE service_key_id = \(id) AND api_key_id = \(apiKeyId) RETURNING service_key_id
            """).all(UUID.self)
        return !rows.isEmpty
    }

    /// Revokes every active (unrevoked, unexpired) service key of the API key; returns how many.
    public func revokeAll(apiKeyId: UUID, now: Date) async throws -> Int {
        try await database.query("""
            UPDATE service_key SET revoked_at = \(now)
            WHERE api_key_id = \(apiKeyId) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > \(now))
            RETURNING service_key_id
            """).all(UUID.self).count
    }

    private func serviceKey(_ row: (UUID, String?, String?, String, String?, Date?, Date?, Date, Date?)) throws -> ServiceKey {
        let metadata = try row.4.map { try JSONValue.parse(try box.open($0)) }
        return ServiceKey(serviceKeyId: row.0, name: row.1, description: row.2,
                          permissions: try JSONColumn.decode([String: [String]].self, from: row.3), metadata: metadata,
                          expiresAt: row.5, revokedAt: row.6, createdAt: row.7, lastUsedAt: row.8)
    }
}

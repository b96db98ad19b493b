import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Sessions issued by API keys.
public struct SessionStore: Sendable {
    public static let maximumActivePerAPIKey = 1000

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates a session unless the API key already has the maximum of active ones (429).
    public func create(apiKeyId: UUID, envId: UUID, permissions: [String: [String]], metadata: JSONValue?,
                       expiresAt: Date, now: Date) async throws -> CreatedSession {
        let id = UUID.v7(now: now)
        let token = BearerToken.newSession(id: id)
        let permissionsText = try JSONColumn.text(permissions)
        let metadataText = try metadata.map { try JSONColumn.text($0) }
        let digest = SecretHash.digest(token.secret)
        let maximum = Self.maximumActivePerAPIKey
        let created: Date = try await database.transaction { connection in
            // Serialise creations per API key so that concurrent requests cannot pass the limit together.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(apiKeyId.lowercased), 7))", logger: database.logger)
            let active = try await connection.query("""
                SELECT count(*)::bigint FROM session
                WHERE api_key_id = \(apiKeyId) AND revoked_at IS NULL AND expires_at > \(now)
                """, logger: database.logger).all(Int.self).first ?? 0
            guard active < maximum else {
                throw StoreError.sessionLimitReached(maximum: maximum)
            }
            let rows = try await connection.query("""
                INSERT INTO session (session_id, api_key_id, env_id, secret_hash, permissions, metadata, expires_at, created_at)
                VALUES (\(id), \(apiKeyId), \(envId), \(digest), \(permissionsText)::jsonb, \(metadataText)::jsonb, \(expiresAt), \(now))
                RETURNING created_at
                """, logger: database.logger).all(Date.self)
            return rows[0]
        }
        return CreatedSession(sessionId: id, token: token.text, permissions: permissions, metadata: metadata,
                              expiresAt: expiresAt, createdAt: created)
    }

    /// Active (neither expired nor revoked) sessions of an API key, newest first.
    public func listActive(apiKeyId: UUID, now: Date, page: PageRequest) async throws -> Page<Session> {
        let rows = try await database.query("""
            SELECT session_id, permissions::text, metadata::text, expires_at, created_at, last_used_at, count(*) OVER ()
            FROM session
            WHERE api_key_id = \(apiKeyId) AND revoked_at IS NULL AND expires_at > \(now)
            ORDER BY created_at DESC, session_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, String, String?, Date, Date, Date?, Int).self)
        let total = try await database.total(windowCount: rows.first?.6, page: page, count: """
            SELECT count(*)::bigint FROM session WHERE api_key_id = \(apiKeyId) AND revoked_at IS NULL AND expires_at > \(now)
            """)
        let sessions = try rows.map { row in
            Session(sessionId: row.0, permissions: try JSONColumn.decode([String: [String]].self, from: row.1),
                    metadata: try row.2.map { try JSONColumn.decode(JSONValue.self, from: $0) },
                    expiresAt: row.3, createdAt: row.4, lastUsedAt: row.5)
        }
        return Page(items: sessions, total: total, limit: page.limit, offset: page.offset)
    }

    /// Revokes one session of the API key; false when it has no such session.
    public func revoke(id: UUID, apiKeyId: UUID, now: Date) async throws -> Bool {
        let rows = try await database.query("""
            UPDATE session SET revoked_at = COALESCE(revoked_at, \(now))
            WHERE session_id = \(id) AND api_key_id = \(apiKeyId) RETURNING session_id
            """).all(UUID.self)
        return !rows.isEmpty
    }

    /// Revokes every active session of the API key; returns how many.
    public func revokeAll(apiKeyId: UUID, now: Date) async throws -> Int {
        try await database.query("""
            UPDATE session SET revoked_at = \(now)
            WHERE api_key_id = \(apiKeyId) AND revoked_at IS NULL AND expires_at > \(now) RETURNING session_id
            """).all(UUID.self).count
    }
}

import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// A project's context variables: values sealed with AES-256-GCM, bound to their project and key;
/// only metadata ever leaves through the API.
public struct ContextStore: Sendable {
    let database: Database
    let box: SecretBox

    public init(database: Database, box: SecretBox) {
        self.database = database
        self.box = box
    }

    /// The associated data a value is sealed under: which project's which key it is.
    static func binding(projectId: UUID, key: String) -> Data {
        Data("context:\(projectId.lowercased):\(key)".utf8)
    }

    public func list(projectId: UUID, page: PageRequest) async throws -> Page<ContextVariable> {
        let rows = try await database.query("""
            SELECT key, description, created_at, updated_at, count(*) OVER ()
            FROM context_variable WHERE project_id = \(projectId)
            ORDER BY key
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((String, String?, Date, Date, Int).self)
        let total = try await database.total(windowCount: rows.first?.4, page: page, count: """
            SELECT count(*)::bigint FROM context_variable WHERE project_id = \(projectId)
            """)
        let items = rows.map { ContextVariable(key: $0.0, description: $0.1, createdAt: $0.2, updatedAt: $0.3) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    public func create(projectId: UUID, key: String, value: String, description: String?) async throws -> ContextVariable {
        let sealed = try box.seal(Data(value.utf8), boundTo: Self.binding(projectId: projectId, key: key))
        do {
            let rows = try await database.query("""
                INSERT INTO context_variable (project_id, key, value_sealed, description)
                VALUES (\(projectId), \(key), \(sealed), \(description))
                RETURNING key, description, created_at, updated_at
                """).all((String, String?, Date, Date).self)
            return ContextVariable(key: rows[0].0, description: rows[0].1, createdAt: rows[0].2, updatedAt: rows[0].3)
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StoreError.contextKeyExists(key: key)
        }
    }

    /// Replaces the value; the description too when one is given. Nil when the key does not exist.
    public func update(projectId: UUID, key: String, value: String, description: String?) async throws -> ContextVariable? {
        let sealed = try box.seal(Data(value.utf8), boundTo: Self.binding(projectId: projectId, key: key))
        let rows = try await database.query("""
            UPDATE context_variable
            SET value_sealed = \(sealed), description = coalesce(\(description), description), updated_at = now()
            WHERE project_id = \(projectId) AND key = \(key)
            RETURNING key, description, created_at, updated_at
            """).all((String, String?, Date, Date).self)
        return rows.first.map { ContextVariable(key: $0.0, description: $0.1, createdAt: $0.2, updatedAt: $0.3) }
    }

    public func delete(projectId: UUID, key: String) async throws -> Bool {
        !(try await database.query("""
            DELETE FROM context_variable WHERE project_id = \(projectId) AND key = \(key) RETURNING key
            """).all(String.self)).isEmpty
    }

    /// The project's variables, decrypted: for the runtime call of a run, the one place values
    /// leave the server. Never log the result.
    public func values(projectId: UUID) async throws -> [String: String] {
        try open(try await database.query("""
            SELECT key, value_sealed FROM context_variable WHERE project_id = \(projectId)
            """).all((String, String).self).map { (key: $0.0, sealed: $0.1) }, projectId: projectId)
    }

    /// The project's variables as stored (a run's claim reads them), decrypted. Never log the result.
    func open(_ sealed: [(key: String, sealed: String)], projectId: UUID) throws -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in sealed {
            let plaintext = try box.open(value, boundTo: Self.binding(projectId: projectId, key: key))
            values[key] = String(decoding: plaintext, as: UTF8.self)
        }
        return values
    }
}

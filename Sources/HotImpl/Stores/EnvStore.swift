import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Environments of an org. Credentials belong to one env; every resource is filtered to it.
public struct EnvStore: Sendable {
    public static let defaultName = "development"

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The env called `name` in `orgId`, created when missing.
    public func ensure(name: String, orgId: UUID) async throws -> Environment {
        try await database.query("""
            INSERT INTO env (env_id, org_id, name) VALUES (\(UUID.v7()), \(orgId), \(name))
            ON CONFLICT (org_id, name) DO NOTHING
            """)
        let rows = try await database.query("""
            SELECT env_id, org_id, name, active FROM env WHERE org_id = \(orgId) AND name = \(name)
            """).all((UUID, UUID, String, Bool).self)
        guard let (envId, org, envName, active) = rows.first else { throw StoreError.missing("env \(name)") }
        return Environment(envId: envId, orgId: org, name: envName, active: active)
    }
}

import Foundation
import HotRuntime
import PostgresNIO

/// Organizations: one default org exists from the first start on.
public struct OrgStore: Sendable {
    public static let plans = ["starter", "pro", "scale", "enterprise", "self-hosted"]

    public struct Org: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var plan: String
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The default org, created (plan `self-hosted`) when missing.
    public func ensureDefault() async throws -> Org {
        let id = UUID.v7()
        try await database.query("""
            INSERT INTO org (org_id, name, plan, is_default) VALUES (\(id), 'default', 'self-hosted', true)
            ON CONFLICT (is_default) WHERE is_default DO NOTHING
            """)
        let rows = try await database.query("SELECT org_id, name, plan FROM org WHERE is_default").all((UUID, String, String).self)
        guard let (orgId, name, plan) = rows.first else { throw StoreError.missing("default org") }
        return Org(id: orgId, name: name, plan: plan)
    }

    /// A further org (the default org serves the CLI; others separate tenants, e.g. in tests).
    public func create(name: String, plan: String) async throws -> Org {
        guard Self.plans.contains(plan) else { throw StoreError.invalid("unknown plan \(plan): use one of \(Self.plans.joined(separator: ", "))") }
        let id = UUID.v7()
        try await database.query("INSERT INTO org (org_id, name, plan) VALUES (\(id), \(name), \(plan))")
        return Org(id: id, name: name, plan: plan)
    }

    public func setDefaultPlan(_ plan: String) async throws -> Org {
        guard Self.plans.contains(plan) else { throw StoreError.invalid("unknown plan \(plan): use one of \(Self.plans.joined(separator: ", "))") }
        var org = try await ensureDefault()
        try await database.query("UPDATE org SET plan = \(plan), updated_at = now() WHERE org_id = \(org.id)")
        org.plan = plan
        return org
    }
}

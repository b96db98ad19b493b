import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Custom domains: the rows the API shows, and the claims through which checkers advance them.
/// Every transition a checker writes names its claim token and the status it saw, so a checker
/// whose claim was lost (its lease ran out, or the domain was deleted meanwhile) changes nothing.
public struct DomainStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static let columns = """
        domain_id, env_id, domain, status, certificate_ref, validation_cname_name, validation_cname_value,
        distribution_ref, distribution_domain, provisioning_error, attempts, created_at, validated_at, active_at
        """

    typealias Row = (UUID, UUID, String, String, String?, String?, String?, String?, String?, String?, Int, Date, Date?, Date?)

    static func record(_ row: Row) -> DomainRecord {
        DomainRecord(
            id: row.0, envId: row.1, name: row.2, status: DomainStatus(rawValue: row.3) ?? .pendingValidation,
            certificateRef: row.4, validationName: row.5, validationValue: row.6, routingRef: row.7, routingDomain: row.8,
            provisioningError: row.9, attempts: row.10, createdAt: row.11, validatedAt: row.12, activeAt: row.13)
    }

    func records(_ query: PostgresQuery) async throws -> [DomainRecord] {
        try await database.query(query).all(Row.self).map(Self.record)
    }

    /// Registers `name` in `envId`, unless the org already holds `limit` domains (-1: no limit;
    /// domains being deleted do not count). The org row is locked meanwhile, so concurrent
    /// registrations cannot overshoot the limit. Throws `domain_limit_reached` or `domain_exists`.
    /// The new domain comes claimed (for `lease`), so its first provider call is the creator's.
    public func create(envId: UUID, orgId: UUID, name: String, limit: Int, now: Date, lease: Duration) async throws -> Claim {
        let id = UUID.v7()
        let token = UUID()
        do {
            return try await database.transaction { connection in
                if limit >= 0 {
                    // Serialises the org's registrations while it counts (an unlimited plan needs no lock).
                    _ = try await connection.query("SELECT org_id FROM org WHERE org_id = \(orgId) FOR UPDATE", logger: database.logger).all(UUID.self)
                    let count = try await connection.query("""
                        SELECT count(*)::bigint FROM domain JOIN env USING (env_id)
                        WHERE env.org_id = \(orgId) AND domain.status <> 'deleting'
                        """, logger: database.logger).all(Int.self).first ?? 0
                    if count >= limit {
                        throw StoreError.domainLimitReached(limit: limit)
                    }
                }
                let rows = try await connection.query("""
                    INSERT INTO domain (domain_id, env_id, domain, next_check_at, claim_token, locked_until, created_at, updated_at)
                    VALUES (\(id), \(envId), \(name), \(now), \(token), \(now.addingTimeInterval(lease.seconds)), \(now), \(now))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: database.logger).all(Row.self)
                return Claim(record: Self.record(rows[0]), token: token)
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            let deleting = try await database.query("SELECT status FROM domain WHERE domain = \(name)").all(String.self).first == "deleting"
            throw StoreError.domainExists(name: name, beingDeleted: deleting)
        }
    }

    public func list(envId: UUID, page: PageRequest) async throws -> Page<DomainRecord> {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER ()
            FROM domain WHERE env_id = \(envId)
            ORDER BY created_at DESC, domain_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, String, String?, String?, String?, String?, String?, String?, Int, Date, Date?, Date?, Int).self)
        let total = try await database.total(windowCount: rows.first?.14, page: page, count: """
            SELECT count(*)::bigint FROM domain WHERE env_id = \(envId)
            """)
        let items = rows.map { Self.record(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8, $0.9, $0.10, $0.11, $0.12, $0.13)) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    /// The domain, if it belongs to `envId`.
    public func find(envId: UUID, id: UUID) async throws -> DomainRecord? {
        try await records("SELECT \(unescaped: Self.columns) FROM domain WHERE domain_id = \(id) AND env_id = \(envId)").first
    }

    /// Marks the domain for teardown; false when `envId` has no such domain. A checker holding it
    /// keeps its claim: it sees the deletion before its next provider call and tears down itself,
    /// so no teardown runs while a call that creates something is still in flight.
    public func markDeleting(envId: UUID, id: UUID, now: Date) async throws -> Bool {
        !(try await database.query("""
            UPDATE domain SET status = 'deleting', attempts = 0, next_check_at = \(now), provisioning_error = NULL, updated_at = \(now)
            WHERE domain_id = \(id) AND env_id = \(envId)
            RETURNING domain_id
            """).all(UUID.self)).isEmpty
    }

    // MARK: Claims

    public struct Claim: Sendable {
        public var record: DomainRecord
        public var token: UUID
    }

    /// Claims up to `limit` domains due for a check at `now` (not active, not claimed by a live
    /// lease), oldest due first; `envIds` narrows the search. Rows another checker is claiming are
    /// skipped, not waited for.
    public func claimDue(now: Date, lease: Duration, limit: Int, envIds: [UUID]?) async throws -> [Claim] {
        let token = UUID()
        let until = now.addingTimeInterval(lease.seconds)
        let records = try await records("""
            UPDATE domain SET claim_token = \(token), locked_until = \(until)
            WHERE domain_id IN (
                SELECT domain_id FROM domain
                WHERE status <> 'active' AND next_check_at <= \(now) AND (locked_until IS NULL OR locked_until < \(now))
                AND (\(envIds == nil) OR env_id = ANY(\(envIds ?? [])))
                ORDER BY next_check_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: Self.columns)
            """)
        return records.map { Claim(record: $0, token: token) }
    }

    /// Claims one domain of `envId` now, due or not (an explicit verification); nil when it does not
    /// exist or another checker holds it.
    public func claim(envId: UUID, id: UUID, now: Date, lease: Duration) async throws -> Claim? {
        let token = UUID()
        let until = now.addingTimeInterval(lease.seconds)
        return try await records("""
            UPDATE domain SET claim_token = \(token), locked_until = \(until)
            WHERE domain_id = \(id) AND env_id = \(envId) AND (locked_until IS NULL OR locked_until < \(now))
            RETURNING \(unescaped: Self.columns)
            """).first.map { Claim(record: $0, token: token) }
    }

    /// Records a requested certificate. Its references are kept even when the claim was lost (the
    /// domain being deleted meanwhile), so the teardown knows what to remove.
    func recordCertificate(_ claim: Claim, _ certificate: DomainCertificate, now: Date) async throws -> DomainRecord? {
        try await database.query("""
            UPDATE domain SET certificate_ref = \(certificate.reference), validation_cname_name = \(certificate.validationName),
                validation_cname_value = \(certificate.validationValue), updated_at = \(now)
            WHERE domain_id = \(claim.record.id) AND (certificate_ref IS NULL OR claim_token = \(claim.token))
            """)
        return try await owned(claim)
    }

    /// Forgets a certificate that can never be issued, so the next check requests another.
    func dropCertificate(_ claim: Claim, now: Date) async throws -> DomainRecord? {
        try await database.query("""
            UPDATE domain SET certificate_ref = NULL, validation_cname_name = NULL, validation_cname_value = NULL, updated_at = \(now)
            WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token) AND status = 'pending_validation'
            """)
        return try await owned(claim)
    }

    /// Records provisioned routing and moves a validated domain to provisioning. The references are
    /// kept even when the claim was lost, unless another checker's are there already (so teardown
    /// knows what to remove).
    func recordRouting(_ claim: Claim, _ routing: DomainRouting, now: Date) async throws -> DomainRecord? {
        try await database.query("""
            UPDATE domain SET distribution_ref = \(routing.reference), distribution_domain = \(routing.domain), updated_at = \(now),
                status = CASE WHEN claim_token = \(claim.token) AND status = 'validated' THEN 'provisioning' ELSE status END
            WHERE domain_id = \(claim.record.id) AND (distribution_ref IS NULL OR claim_token = \(claim.token))
            """)
        return try await owned(claim)
    }

    /// Moves a claimed domain from the status its checker saw to `status`; nil when the claim was lost.
    func transition(_ claim: Claim, from: DomainStatus, to status: DomainStatus, now: Date) async throws -> DomainRecord? {
        return try await records("""
            UPDATE domain SET status = \(status.rawValue), provisioning_error = NULL, updated_at = \(now),
                validated_at = CASE WHEN \(status == .validated) THEN \(now) ELSE validated_at END,
                active_at = CASE WHEN \(status == .active) THEN \(now) ELSE active_at END
            WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token) AND status = \(from.rawValue)
            RETURNING \(unescaped: Self.columns)
            """).first
    }

    /// Extends a claim before a provider call; the domain as it now stands, or nil when the claim is
    /// lost (its lease ran out and another checker took it, or the domain is gone).
    func renew(_ claim: Claim, now: Date, lease: Duration) async throws -> DomainRecord? {
        try await records("""
            UPDATE domain SET locked_until = \(now.addingTimeInterval(lease.seconds))
            WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token)
            RETURNING \(unescaped: Self.columns)
            """).first
    }

    /// Ends a claim: the next check is due at `nextCheck` (at once for a domain being deleted), after `attempts` checks without progress;
    /// `error` (nil once a check succeeds) is what the last one ran into.
    func release(_ claim: Claim, nextCheck: Date, attempts: Int, error: String?, now: Date) async throws {
        try await database.query("""
            UPDATE domain SET claim_token = NULL, locked_until = NULL, attempts = \(attempts),
                next_check_at = CASE WHEN status = 'deleting' THEN \(now) ELSE \(nextCheck) END,
                provisioning_error = \(error), updated_at = \(now)
            WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token)
            """)
    }

    /// Removes a torn-down domain: only one still marked for deletion under this claim.
    func remove(_ claim: Claim) async throws -> Bool {
        !(try await database.query("""
            DELETE FROM domain WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token) AND status = 'deleting'
            RETURNING domain_id
            """).all(UUID.self)).isEmpty
    }

    /// The row as it now stands, if the claim still holds it.
    private func owned(_ claim: Claim) async throws -> DomainRecord? {
        try await records("""
            SELECT \(unescaped: Self.columns) FROM domain WHERE domain_id = \(claim.record.id) AND claim_token = \(claim.token)
            """).first
    }
}

extension Duration {
    /// Whole and fractional seconds, for date arithmetic.
    var seconds: TimeInterval {
        let (whole, attoseconds) = components
        return TimeInterval(whole) + TimeInterval(attoseconds) / 1e18
    }
}

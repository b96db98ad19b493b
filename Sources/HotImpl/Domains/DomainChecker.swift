import Foundation
import Generated
import Logging
import ServiceLifecycle

/// Advances custom domains through their provider: requests certificates, watches for the
/// ownership record, provisions routing, and finishes deletions. Every hot-server process runs one
/// (`serve` and `worker`); each domain is claimed in the database under a lease, so however many
/// processes check, one provider call at a time is made for a domain. A domain that makes no
/// progress is checked again after a backoff that doubles from `interval` up to `maxInterval`.
public struct DomainChecker: Service {
    public struct Settings: Sendable {
        /// Between passes, and the first backoff.
        public var interval: Duration
        /// The longest backoff.
        public var maxInterval: Duration
        /// How long a claim lasts: longer than any provider call takes.
        public var lease: Duration
        /// Domains claimed per pass.
        public var batch: Int
        /// How long a registration may stay unvalidated before it is removed.
        public var pendingLifetime: Duration

        public init(interval: Duration = .seconds(30), maxInterval: Duration = .seconds(3600), lease: Duration = .seconds(600), batch: Int = 20,
                    pendingLifetime: Duration = .seconds(7 * 86_400)) {
            self.interval = interval
            self.maxInterval = maxInterval
            self.lease = lease
            self.batch = batch
            self.pendingLifetime = pendingLifetime
        }
    }

    /// What one check of a domain came to.
    public enum Outcome: Sendable, Hashable {
        /// It moved on and waits for the provider or the customer (or is active).
        case now(DomainStatus)
        /// Its teardown finished and the row is gone.
        case removed
        /// Another checker took it over (or it was deleted) while this one worked.
        case lost
    }

    let store: DomainStore
    let provider: any DomainProvider
    let clock: any WallClock
    let settings: Settings
    /// Only these envs' domains (nil: all).
    let envIds: [UUID]?
    let logger: Logger

    public init(database: Database, provider: any DomainProvider, settings: Settings = .init(), clock: any WallClock = SystemWallClock(),
                envIds: [UUID]? = nil, logger: Logger) {
        self.store = DomainStore(database: database)
        self.provider = provider
        self.settings = settings
        self.clock = clock
        self.envIds = envIds
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await pass()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("domain check pass failed", metadata: ["error": "\(error)"])
                }
                guard await pause(settings.interval) else { return }
            }
        }
    }

    /// Checks every domain due now, one batch at a time; returns what became of each.
    @discardableResult
    public func pass() async throws -> [UUID: Outcome] {
        var outcomes: [UUID: Outcome] = [:]
        while true {
            let claims = try await store.claimDue(now: clock.now(), lease: settings.lease, limit: settings.batch, envIds: envIds)
            for claim in claims {
                outcomes[claim.record.id] = try await check(claim, stoppingAt: nil)
            }
            if claims.count < settings.batch { return outcomes }
        }
    }

    /// Checks one domain of `envId` now, whatever its backoff, as far as `validated` (provisioning is
    /// left to the next pass); nil when another checker holds it at the moment.
    public func verify(envId: UUID, id: UUID) async throws -> Outcome? {
        guard let claim = try await store.claim(envId: envId, id: id, now: clock.now(), lease: settings.lease) else { return nil }
        return try await check(claim, stoppingAt: .validated)
    }

    /// Requests the certificate of a domain just registered (claimed by its creation), so the answer
    /// can show the validation record; its first check is due after `interval`. When the provider
    /// fails, the domain stays registered and the next pass asks again.
    public func requestCertificate(_ claim: DomainStore.Claim) async throws -> DomainRecord {
        do {
            let certificate = try await provider.requestCertificate(for: claim.record)
            let record = try await store.recordCertificate(claim, certificate, now: clock.now()) ?? claim.record
            try await store.release(claim, nextCheck: clock.now().addingTimeInterval(settings.interval.seconds), attempts: 0, error: nil, now: clock.now())
            return record
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("certificate request failed", metadata: ["domain": "\(claim.record.name)", "error": "\(error)"])
            try await store.release(claim, nextCheck: clock.now().addingTimeInterval(backoff(after: 1)), attempts: 1,
                                    error: Self.providerFailure, now: clock.now())
            return claim.record
        }
    }

    static let providerFailure = "The last check with the domain provider failed; it is retried automatically."

    /// Takes the claimed domain as far as its provider allows (or up to `stoppingAt`), then releases
    /// it with its next check scheduled.
    public func check(_ claim: DomainStore.Claim, stoppingAt goal: DomainStatus?) async throws -> Outcome {
        var record = claim.record
        var note: String?
        do {
            // Each step records the provider's answer before the next call; a handful of steps
            // takes a domain from registration to active.
            for _ in 0..<6 where record.status != goal {
                // The claim is renewed before every provider call, and the row read afresh: a
                // deletion meanwhile is seen here, and a lost claim stops this checker.
                guard let current = try await store.renew(claim, now: clock.now(), lease: settings.lease) else { return .lost }
                record = current
                guard let next = try await step(record, claim, note: &note) else {
                    try await store.release(claim, nextCheck: clock.now(), attempts: 0, error: nil, now: clock.now())
                    return .lost
                }
                // Waiting on the provider or the customer; or a setback, retried after a backoff.
                if next == record || note != nil {
                    record = next
                    break
                }
                record = next
            }
        } catch is Removed {
            return .removed
        } catch is CancellationError {
            // Shutting down: the claim is given back (from a task not cancelled) rather than held
            // until its lease runs out.
            let (store, now) = (self.store, clock.now())
            let released = await Task { try await store.release(claim, nextCheck: now, attempts: claim.record.attempts, error: nil, now: now) }.result
            if case .failure(let error) = released {
                logger.notice("could not give back a domain check's claim; another pass takes it when its lease runs out", metadata: [
                    "domain": "\(claim.record.name)", "error": "\(error)",
                ])
            }
            throw CancellationError()
        } catch {
            logger.warning("domain check failed", metadata: ["domain": "\(record.name)", "status": "\(record.status.rawValue)", "error": "\(error)"])
            note = Self.providerFailure
        }
        let attempts = record.status != claim.record.status ? (note == nil ? 0 : 1) : claim.record.attempts + 1
        // A goal reached (verify) leaves the rest to the very next pass.
        let next = record.status == goal ? clock.now() : clock.now().addingTimeInterval(backoff(after: attempts))
        try await store.release(claim, nextCheck: next, attempts: attempts, error: note, now: clock.now())
        return .now(record.status)
    }

    private struct Removed: Error {}

    /// One provider call and its record; the same record back when there is nothing to do yet, nil
    /// when the claim was lost. `note`: what the customer should know of a setback.
    private func step(_ record: DomainRecord, _ claim: DomainStore.Claim, note: inout String?) async throws -> DomainRecord? {
        let now = clock.now()
        switch record.status {
        case .pendingValidation:
            // A registration never validated is let go, so a name cannot be held by one who does not own it.
            if now.timeIntervalSince(record.createdAt) > settings.pendingLifetime.seconds {
                logger.notice("domain never validated; removing it", metadata: ["domain": "\(record.name)"])
                return try await store.transition(claim, from: .pendingValidation, to: .deleting, now: now)
            }
            guard record.certificateRef != nil else {
                return try await store.recordCertificate(claim, try await provider.requestCertificate(for: record), now: now)
            }
            switch try await provider.certificateStatus(of: record) {
            case .pending:
                return record
            case .issued:
                return try await store.transition(claim, from: .pendingValidation, to: .validated, now: now)
            case .failed(let reason):
                logger.notice("certificate failed; requesting another", metadata: ["domain": "\(record.name)", "reason": "\(reason)"])
                note = "The certificate could not be issued; a new validation record is being issued."
                return try await store.dropCertificate(claim, now: now)
            }
        case .validated:
            return try await store.recordRouting(claim, try await provider.provisionRouting(for: record), now: now)
        case .provisioning:
            switch try await provider.routingStatus(of: record) {
            case .deploying: return record
            case .deployed: return try await store.transition(claim, from: .provisioning, to: .active, now: now)
            }
        case .active:
            return record
        case .deleting:
            try await provider.tearDown(record)
            guard try await store.remove(claim) else { return nil }
            throw Removed()
        }
    }

    /// The wait before the next check after `attempts` checks without progress.
    func backoff(after attempts: Int) -> TimeInterval {
        guard attempts > 0 else { return settings.interval.seconds }
        let doubled = settings.interval.seconds * pow(2, Double(min(attempts - 1, 30)))
        return min(doubled, settings.maxInterval.seconds)
    }
}

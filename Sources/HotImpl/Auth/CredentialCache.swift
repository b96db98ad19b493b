import Foundation
import HotRuntime

/// The credentials this process authenticated lately, so a request costs no database round trip
/// for its token: an `InvalidatedCache` by credential id. Every change that matters (revocation,
/// new permissions, a moved env, a plan change) fires a trigger whose notification reaches the
/// process's listener, which evicts here (`evict`). Unknown credentials are never cached.
public final class CredentialCache: Sendable {
    let cache: InvalidatedCache<UUID, CredentialStore.Found>
    typealias Generation = InvalidatedCache<UUID, CredentialStore.Found>.Generation

    public init(capacity: Int = 100_000, lifetime: Duration = .seconds(60)) {
        cache = InvalidatedCache(capacity: capacity, lifetime: lifetime)
    }

    /// The cached credential with this id, unless the cache is bypassed or the entry too old.
    func lookup(_ id: UUID) -> CredentialStore.Found? {
        cache.lookup(id)
    }

    /// What to pass to `insert` for a database read that starts now; nil while bypassed.
    func generation() -> Generation? {
        cache.generation()
    }

    /// Keeps a credential read from the database, unless an eviction happened since `generation`.
    func insert(_ found: CredentialStore.Found, readAt generation: Generation) {
        cache.insert(found, for: found.credential.id, readAt: generation)
    }

    /// What a notification names as changed.
    public enum Change: Sendable, Equatable {
        /// A session or service key.
        case credential(UUID)
        /// An API key, with the sessions and service keys it issued.
        case apiKey(UUID)
        case env(UUID)
        case org(UUID)
    }

    public func evict(_ change: Change) {
        switch change {
        case .credential(let id): cache.evict(id)
        case .apiKey(let id): cache.evict { $1.credential.apiKeyId == id }
        case .env(let id): cache.evict { $1.credential.envId == id }
        case .org(let id): cache.evict { $1.credential.orgId == id }
        }
    }

    /// Whether the process's listener is listening: when it is not, the cache is emptied and bypassed.
    public func listening(_ listening: Bool) {
        cache.listening(listening)
    }

    /// Counters (for tests and metrics).
    public typealias Statistics = InvalidatedCache<UUID, CredentialStore.Found>.Statistics

    public var statistics: Statistics {
        cache.statistics
    }

    /// The cached entry for `id`, whatever its age (for tests).
    public func cached(_ id: UUID) -> CredentialStore.Found? {
        cache.cached(id)
    }
}

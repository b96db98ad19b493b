import Foundation
import HotRuntime
import Synchronization

/// The credentials this process authenticated lately, so a request costs no database round trip
/// for its token. Correct across processes because every change that matters (revocation, new
/// permissions, a moved env, a plan change) fires a trigger whose notification reaches the
/// process's listener, which evicts here (`evict`). While the listener is not listening, nothing
/// is served from the cache (`listening(false)` empties and bypasses it): a change could go unseen.
///
/// A lookup that started before an eviction must not put back what was evicted: each eviction
/// advances a generation, and an entry read under an older generation is not kept. Unknown
/// credentials are never cached (a miss always asks the database). Entries also age out after
/// `lifetime`, a bound on staleness should a notification ever be lost.
public final class CredentialCache: Sendable {
    struct Entry {
        var found: CredentialStore.Found
        var cachedAt: ContinuousClock.Instant
    }

    struct State {
        var entries: [UUID: Entry] = [:]
        var generation: UInt64 = 0
        var listening = false
        var hits = 0
        var misses = 0
        var evictions = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let lifetime: Duration

    public init(capacity: Int = 100_000, lifetime: Duration = .seconds(60)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// The cached credential with this id, unless the cache is bypassed or the entry too old.
    func lookup(_ id: UUID) -> CredentialStore.Found? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.listening, let entry = state.entries[id], now - entry.cachedAt < lifetime else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return entry.found
        }
    }

    /// What to pass to `insert` for a database read that starts now; nil while bypassed.
    func generation() -> UInt64? {
        state.withLock { $0.listening ? $0.generation : nil }
    }

    /// Keeps a credential read from the database, unless an eviction happened since `generation`.
    func insert(_ found: CredentialStore.Found, readAt generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            // Full: start over rather than track recency (the working set refills in a second).
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[found.credential.id] = Entry(found: found, cachedAt: now)
        }
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
        state.withLock { state in
            state.generation &+= 1
            state.evictions += 1
            switch change {
            case .credential(let id):
                state.entries[id] = nil
            case .apiKey(let id):
                state.entries = state.entries.filter { $0.value.found.credential.apiKeyId != id }
            case .env(let id):
                state.entries = state.entries.filter { $0.value.found.credential.envId != id }
            case .org(let id):
                state.entries = state.entries.filter { $0.value.found.credential.orgId != id }
            }
        }
    }

    /// Whether the process's listener is listening: when it is not, the cache is emptied and bypassed.
    public func listening(_ listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.listening = listening
            if !listening { state.entries.removeAll() }
        }
    }

    /// Counters (for tests and metrics).
    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var evictions: Int
        public var listening: Bool
    }

    public var statistics: Statistics {
        state.withLock { Statistics(entries: $0.entries.count, hits: $0.hits, misses: $0.misses, evictions: $0.evictions, listening: $0.listening) }
    }

    /// The cached entry for `id`, whatever its age (for tests).
    public func cached(_ id: UUID) -> CredentialStore.Found? {
        state.withLock { $0.entries[id]?.found }
    }
}

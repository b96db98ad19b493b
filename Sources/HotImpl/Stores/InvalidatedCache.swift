import Foundation
import Synchronization

/// A bounded in-process cache of database rows, kept correct across processes by eviction: every
/// change to what it may hold fires a trigger whose notification reaches the process's
/// `NotificationListener`, which evicts here. The credential and the project caches are this.
///
/// Rules that make it safe to serve from:
/// - While the listener is not listening a change could go unseen: `listening(false)` empties the
///   cache, every lookup misses and nothing is kept until `listening(true)` (which the listener
///   calls once it listens again; notifications missed in between are covered by the emptying).
/// - A read that raced an eviction does not put back what was evicted: take `generation()` before
///   the database read and pass it to `insert(_:for:readAt:)`, which keeps nothing when an
///   eviction (or a change of `listening`) happened since. An eviction counts whether or not it
///   found anything, since the read in flight may be about to insert it.
/// - Bounded: an insert into a full cache (`capacity` entries) starts over from empty rather than
///   track recency (the working set refills in a second). Entries are not served after
///   `lifetime`, a bound on staleness should a notification ever be lost.
///
/// Absent rows are never cached: a miss always asks the database.
///
/// A value may also answer to one other key, its alias (a project to its name in its env), given
/// by `alias`; an alias is never a key a value is held under. Lookups take the lock once.
public final class InvalidatedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What `generation()` hands out for `insert`: a count of evictions, of this cache only.
    public struct Generation: Sendable, Equatable {
        let count: UInt64
    }

    struct Entry {
        var value: Value
        var cachedAt: ContinuousClock.Instant
    }

    struct State {
        var entries: [Key: Entry] = [:]
        /// The alias of each entry that has one, to the key the entry is held under.
        var aliases: [Key: Key] = [:]
        var generation: UInt64 = 0
        var listening = false
        var hits = 0
        var misses = 0
        var evictions = 0

        func entry(_ key: Key) -> Entry? {
            if let entry = entries[key] { return entry }
            guard !aliases.isEmpty, let held = aliases[key] else { return nil }
            return entries[held]
        }

        /// Forgets the alias `value` has when held under `key`, unless another entry took it since.
        mutating func forget(alias: Key?, of key: Key) {
            if let alias, aliases[alias] == key { aliases[alias] = nil }
        }
    }

    private let state = Mutex(State())
    let capacity: Int
    let lifetime: Duration
    private let alias: @Sendable (Value) -> Key?

    public init(capacity: Int, lifetime: Duration, alias: @escaping @Sendable (Value) -> Key? = { _ in nil }) {
        self.capacity = capacity
        self.lifetime = lifetime
        self.alias = alias
    }

    /// The value held under `key` (or whose alias it is), unless the cache is bypassed, the entry
    /// too old, or `accept` refuses it (each counted as a miss).
    func lookup(_ key: Key, where accept: (Value) -> Bool = { _ in true }) -> Value? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.listening, let entry = state.entry(key), now - entry.cachedAt < lifetime, accept(entry.value) else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return entry.value
        }
    }

    /// What to pass to `insert` for a database read that starts now; nil while bypassed.
    func generation() -> Generation? {
        state.withLock { $0.listening ? Generation(count: $0.generation) : nil }
    }

    /// Keeps a value read from the database under `key`, unless an eviction happened since
    /// `generation` was taken.
    func insert(_ value: Value, for key: Key, readAt generation: Generation) {
        let now = ContinuousClock.now
        let valueAlias = alias(value)
        state.withLock { state in
            guard state.listening, state.generation == generation.count else { return }
            if state.entries.count >= capacity {
                state.entries.removeAll(keepingCapacity: true)
                state.aliases.removeAll(keepingCapacity: true)
            }
            if let previous = state.entries.updateValue(Entry(value: value, cachedAt: now), forKey: key) {
                state.forget(alias: self.alias(previous.value), of: key)
            }
            if let valueAlias { state.aliases[valueAlias] = key }
        }
    }

    /// Forgets the value held under `key`.
    func evict(_ key: Key) {
        state.withLock { state in
            state.generation &+= 1
            state.evictions += 1
            if let removed = state.entries.removeValue(forKey: key) {
                state.forget(alias: alias(removed.value), of: key)
            }
        }
    }

    /// Forgets every value `evicted` names (a scan of the whole cache).
    func evict(where evicted: (Key, Value) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.evictions += 1
            let kept = state.entries.filter { !evicted($0.key, $0.value.value) }
            guard kept.count != state.entries.count else { return }
            state.entries = kept
            if !state.aliases.isEmpty { state.aliases = state.aliases.filter { kept[$0.value] != nil } }
        }
    }

    /// Forgets everything.
    func evictAll() {
        state.withLock { state in
            state.generation &+= 1
            state.evictions += 1
            state.entries.removeAll()
            state.aliases.removeAll()
        }
    }

    /// Whether the process's listener is listening: when it is not, the cache is emptied and bypassed.
    func listening(_ listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.listening = listening
            if !listening {
                state.entries.removeAll()
                state.aliases.removeAll()
            }
        }
    }

    /// Counters (for tests and metrics). `evictions` counts calls to `evict`, not entries removed.
    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var evictions: Int
        public var listening: Bool
    }

    var statistics: Statistics {
        state.withLock { Statistics(entries: $0.entries.count, hits: $0.hits, misses: $0.misses, evictions: $0.evictions, listening: $0.listening) }
    }

    /// The value held under `key` (or whose alias it is), whatever its age (for tests).
    func cached(_ key: Key) -> Value? {
        state.withLock { $0.entry(key)?.value }
    }

    /// How many entries `counted` names, whatever their age (for tests).
    func count(where counted: (Key, Value) -> Bool) -> Int {
        state.withLock { state in state.entries.count(where: { counted($0.key, $0.value.value) }) }
    }
}

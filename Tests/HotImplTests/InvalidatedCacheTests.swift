import Foundation
import Testing

@testable import HotImpl

@Suite("Invalidated cache: the mechanism under the credential and project caches")
struct InvalidatedCacheTests {
    /// A row with a name it also answers to (as a project does in its env).
    struct Row: Sendable, Equatable {
        var id: Int
        var name: String
        var group: Int = 0
    }

    enum Key: Hashable, Sendable {
        case id(Int)
        case name(String)
    }

    static func cache(capacity: Int = 100, lifetime: Duration = .seconds(60), listening: Bool = true) -> InvalidatedCache<Key, Row> {
        let cache = InvalidatedCache<Key, Row>(capacity: capacity, lifetime: lifetime) { .name($0.name) }
        cache.listening(listening)
        return cache
    }

    /// Keeps `row` under its id, read at the current generation.
    static func keep(_ row: Row, in cache: InvalidatedCache<Key, Row>) throws {
        cache.insert(row, for: .id(row.id), readAt: try #require(cache.generation()))
    }

    @Test("a read that started before an eviction is not kept, even when the eviction found nothing to remove")
    func raceRule() throws {
        let cache = Self.cache()
        let row = Row(id: 1, name: "a")
        // The row's change is notified while its read is in flight: nothing is cached yet.
        let before = try #require(cache.generation())
        cache.evict(.id(1))
        cache.insert(row, for: .id(1), readAt: before)
        #expect(cache.cached(.id(1)) == nil)
        // Any eviction counts (a scan that removed nothing, a flush) ...
        let evictions: [() -> Void] = [{ cache.evict { _, _ in false } }, { cache.evictAll() }]
        for evict in evictions {
            let read = try #require(cache.generation())
            evict()
            cache.insert(row, for: .id(1), readAt: read)
            #expect(cache.cached(.id(1)) == nil)
        }
        // ... and a read after the eviction is kept.
        try Self.keep(row, in: cache)
        #expect(cache.lookup(.id(1)) == row)
    }

    @Test("a full cache starts over: the insert that finds it full keeps only itself")
    func bound() throws {
        let cache = Self.cache(capacity: 3)
        for id in 1...3 { try Self.keep(Row(id: id, name: "r\(id)"), in: cache) }
        #expect(cache.statistics.entries == 3)
        try Self.keep(Row(id: 4, name: "r4"), in: cache)
        #expect(cache.statistics.entries == 1)
        #expect((1...3).allSatisfy { cache.cached(.id($0)) == nil && cache.cached(.name("r\($0)")) == nil })
        #expect(cache.lookup(.name("r4"))?.id == 4)
    }

    @Test("while not listening it is empty and bypassed; a read from before a reconnect is not kept")
    func flushWhenNotListening() throws {
        let cache = Self.cache(listening: false)
        #expect(cache.generation() == nil)
        cache.insert(Row(id: 1, name: "a"), for: .id(1), readAt: .init(count: 0))
        #expect(cache.cached(.id(1)) == nil)

        cache.listening(true)
        try Self.keep(Row(id: 1, name: "a"), in: cache)
        let inFlight = try #require(cache.generation())
        // The listener loses its connection (notifications may be missed), then listens again.
        cache.listening(false)
        #expect(cache.lookup(.id(1)) == nil)
        #expect(cache.statistics.entries == 0)
        cache.listening(true)
        #expect(cache.cached(.id(1)) == nil && cache.cached(.name("a")) == nil)
        cache.insert(Row(id: 2, name: "b"), for: .id(2), readAt: inFlight)
        #expect(cache.cached(.id(2)) == nil)
    }

    @Test("a value answers to its alias; a new value moves the alias; an eviction forgets it, unless another value took it")
    func aliases() throws {
        let cache = Self.cache()
        try Self.keep(Row(id: 1, name: "old"), in: cache)
        #expect(cache.lookup(.name("old"))?.id == 1)
        try Self.keep(Row(id: 1, name: "new"), in: cache)
        #expect(cache.lookup(.name("old")) == nil)
        #expect(cache.lookup(.name("new"))?.id == 1)
        cache.evict(.id(1))
        #expect(cache.lookup(.name("new")) == nil)

        // Row 2 took the name of row 3 (renamed elsewhere, its eviction still on the way).
        try Self.keep(Row(id: 3, name: "x"), in: cache)
        try Self.keep(Row(id: 2, name: "x"), in: cache)
        cache.evict(.id(3))
        #expect(cache.lookup(.name("x"))?.id == 2)
        cache.evict { _, row in row.id == 2 }
        #expect(cache.lookup(.name("x")) == nil)
    }

    @Test("a scan evicts what it names and nothing else")
    func evictWhere() throws {
        let cache = Self.cache()
        for id in 1...4 { try Self.keep(Row(id: id, name: "r\(id)", group: id % 2), in: cache) }
        cache.evict { _, row in row.group == 0 }
        #expect(cache.count(where: { _, _ in true }) == 2)
        #expect([1, 3].allSatisfy { cache.lookup(.id($0)) != nil && cache.lookup(.name("r\($0)")) != nil })
        #expect([2, 4].allSatisfy { cache.lookup(.id($0)) == nil && cache.lookup(.name("r\($0)")) == nil })
    }

    @Test("too old, or refused by the lookup's condition: a miss; the counters say so")
    func missesAndHits() throws {
        let cache = Self.cache()
        try Self.keep(Row(id: 1, name: "a", group: 7), in: cache)
        #expect(cache.lookup(.id(1), where: { $0.group == 7 }) != nil)
        #expect(cache.lookup(.id(1), where: { $0.group == 8 }) == nil)
        #expect(cache.lookup(.id(2)) == nil)
        cache.evict(.id(2))
        #expect(cache.statistics == .init(entries: 1, hits: 1, misses: 2, evictions: 1, listening: true))

        let aged = Self.cache(lifetime: .zero)
        try Self.keep(Row(id: 1, name: "a"), in: aged)
        #expect(aged.lookup(.id(1)) == nil)
        #expect(aged.cached(.id(1)) != nil)
    }
}

import Foundation
import Generated
import HotRuntime
import Testing

@testable import HotImpl

@Suite("Project cache (unit)")
struct ProjectCacheUnitTests {
    func project(env: UUID = UUID(), name: String = "p-\(UUID().uuidString.prefix(8))") -> Project {
        Project(projectId: UUID(), envId: env, name: name, active: true, createdAt: Date(), updatedAt: Date())
    }

    @Test("found by id and by name in its env only; nothing served or kept while the listener is down")
    func lookups() throws {
        let cache = ProjectCache()
        let kept = project()
        #expect(cache.generation() == nil)
        cache.insert(kept, readAt: .init(count: 0))
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name) == nil)
        cache.listening(true)
        cache.insert(kept, readAt: try #require(cache.generation()))
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name)?.projectId == kept.projectId)
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.projectId.uuidString.lowercased())?.name == kept.name)
        #expect(cache.lookup(envId: UUID(), idOrName: kept.name) == nil)
        #expect(cache.lookup(envId: UUID(), idOrName: kept.projectId.uuidString) == nil)
        cache.listening(false)
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name) == nil)
        #expect(cache.statistics.entries == 0)
    }

    @Test("a read that started before an eviction does not put back what was evicted")
    func generationGuardsInserts() throws {
        let cache = ProjectCache()
        cache.listening(true)
        let kept = project()
        let generation = try #require(cache.generation())
        cache.evict(kept.projectId, envId: kept.envId)
        cache.insert(kept, readAt: generation)
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name) == nil)
        cache.insert(kept, readAt: try #require(cache.generation()))
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name) != nil)
    }

    @Test("an eviction forgets the name too, and a renamed project answers to its new name only")
    func renames() throws {
        let cache = ProjectCache()
        cache.listening(true)
        var kept = project(name: "old")
        cache.insert(kept, readAt: try #require(cache.generation()))
        cache.evict(kept.projectId, envId: kept.envId)
        #expect(cache.lookup(envId: kept.envId, idOrName: "old") == nil)
        kept.name = "new"
        cache.insert(kept, readAt: try #require(cache.generation()))
        #expect(cache.lookup(envId: kept.envId, idOrName: "old") == nil)
        #expect(cache.lookup(envId: kept.envId, idOrName: "new")?.projectId == kept.projectId)
    }

    @Test("entries age out after their lifetime")
    func lifetime() throws {
        let cache = ProjectCache(lifetime: .zero)
        cache.listening(true)
        let kept = project()
        cache.insert(kept, readAt: try #require(cache.generation()))
        #expect(cache.lookup(envId: kept.envId, idOrName: kept.name) == nil)
    }

    @Test("list pages are kept per env and key; a change in the env evicts its pages only")
    func lists() throws {
        let cache = ProjectCache()
        cache.listening(true)
        let env = UUID(), other = UUID()
        let all = ProjectCache.ListKey(exact: nil, prefixes: [], limit: 20, offset: 0)
        let some = ProjectCache.ListKey(exact: ["a"], prefixes: ["b"], limit: 20, offset: 0)
        let page = Page(items: [project(env: env)], total: 1, limit: 20, offset: 0)
        cache.insertList(envId: env, key: all, page: page, readAt: try #require(cache.listGeneration()))
        cache.insertList(envId: other, key: all, page: Page(items: [], total: 0, limit: 20, offset: 0), readAt: try #require(cache.listGeneration()))
        #expect(cache.lookupList(envId: env, key: all)?.items.count == 1)
        #expect(cache.lookupList(envId: env, key: some) == nil)
        let generation = try #require(cache.listGeneration())
        // A project created in the env (no project id to forget).
        cache.evict(nil, envId: env)
        #expect(cache.lookupList(envId: env, key: all) == nil)
        #expect(cache.lookupList(envId: other, key: all) != nil)
        // A read that started before the creation is not kept.
        cache.insertList(envId: env, key: all, page: page, readAt: generation)
        #expect(cache.cachedLists(env) == 0)
        // An env-less notification empties every env's lists.
        cache.evict(nil, envId: nil)
        #expect(cache.cachedLists(other) == 0)
    }
}

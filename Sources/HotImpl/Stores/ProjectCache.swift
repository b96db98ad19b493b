import Foundation
import Generated
import HotRuntime

/// The projects this process read lately, by id and by name within their env, so resolving a
/// path's `project_id_or_slug` costs no database round trip, and the pages of project lists it
/// served: two `InvalidatedCache`s. A trigger on `project` notifies every process's listener of
/// each change (creation, rename, activation, deletion, and the cascade of an env's deletion),
/// which evicts the project and its env's list pages here. Unknown projects are never cached.
public final class ProjectCache: Sendable {
    /// A project is held under its id and answers to its name in its env too.
    enum Key: Hashable, Sendable {
        case id(UUID)
        case name(envId: UUID, name: String)
    }

    /// A list page as asked for: the names the credential may read (nil: all) and the window.
    struct ListKey: Hashable, Sendable {
        var exact: [String]?
        var prefixes: [String]
        var limit: Int
        var offset: Int
    }

    /// A list page of an env.
    struct PageKey: Hashable, Sendable {
        var envId: UUID
        var list: ListKey
    }

    typealias Generation = InvalidatedCache<Key, Project>.Generation
    typealias ListGeneration = InvalidatedCache<PageKey, Page<Project>>.Generation

    let projects: InvalidatedCache<Key, Project>
    let lists: InvalidatedCache<PageKey, Page<Project>>

    public init(capacity: Int = 100_000, lifetime: Duration = .seconds(60)) {
        projects = InvalidatedCache(capacity: capacity, lifetime: lifetime) { .name(envId: $0.envId, name: $0.name) }
        lists = InvalidatedCache(capacity: capacity, lifetime: lifetime)
    }

    /// The cached project `idOrName` designates in `envId`. A UUID-shaped value is looked up by id
    /// only: the database prefers an id to a name, and the cache cannot know that no project has
    /// that id, so a UUID-shaped name is always read from the database.
    func lookup(envId: UUID, idOrName: String) -> Project? {
        let key = UUID(uuidString: idOrName).map(Key.id) ?? .name(envId: envId, name: idOrName)
        return projects.lookup(key) { $0.envId == envId }
    }

    /// What to pass to `insert` for a database read that starts now; nil while bypassed.
    func generation() -> Generation? {
        projects.generation()
    }

    /// Keeps a project read from the database, unless an eviction happened since `generation`.
    func insert(_ project: Project, readAt generation: Generation) {
        projects.insert(project, for: .id(project.projectId), readAt: generation)
    }

    /// The cached list page, if any.
    func lookupList(envId: UUID, key: ListKey) -> Page<Project>? {
        lists.lookup(PageKey(envId: envId, list: key))
    }

    /// What to pass to `insertList` for a database read that starts now; nil while bypassed.
    func listGeneration() -> ListGeneration? {
        lists.generation()
    }

    /// Keeps a list page read from the database, unless an eviction happened since `generation`.
    func insertList(envId: UUID, key: ListKey, page: Page<Project>, readAt generation: ListGeneration) {
        lists.insert(page, for: PageKey(envId: envId, list: key), readAt: generation)
    }

    /// Forgets a project that changed (or may have; nil: one created, which no cache holds yet),
    /// and the list pages of its env (of every env when `envId` is nil).
    public func evict(_ projectId: UUID?, envId: UUID?) {
        if let projectId { projects.evict(.id(projectId)) }
        if let envId {
            lists.evict { key, _ in key.envId == envId }
        } else {
            lists.evictAll()
        }
    }

    /// Whether the process's listener is listening: when it is not, the cache is emptied and bypassed.
    public func listening(_ listening: Bool) {
        projects.listening(listening)
        lists.listening(listening)
    }

    /// Counters (for tests): projects held, and the lookups of projects and list pages.
    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var listening: Bool
    }

    public var statistics: Statistics {
        let (projects, lists) = (projects.statistics, lists.statistics)
        return Statistics(entries: projects.entries, hits: projects.hits + lists.hits, misses: projects.misses + lists.misses,
                          listening: projects.listening)
    }

    /// The cached project with this id, whatever its age (for tests).
    public func cached(_ projectId: UUID) -> Project? {
        projects.cached(.id(projectId))
    }

    /// How many list pages of the env are cached, whatever their age (for tests).
    public func cachedLists(_ envId: UUID) -> Int {
        lists.count { key, _ in key.envId == envId }
    }
}

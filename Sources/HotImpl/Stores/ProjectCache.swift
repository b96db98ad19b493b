import Foundation
import Generated
import HotRuntime
import Synchronization

/// The projects this process read lately, by id and by name within their env, so resolving a
/// path's `project_id_or_slug` costs no database round trip, and the pages of project lists it
/// served. Kept correct across processes as the credential cache is: a trigger on `project`
/// notifies every process's listener of each change (creation, rename, activation, deletion, and
/// the cascade of an env's deletion), which evicts the project and its env's list pages here;
/// while the listener is not listening the cache is emptied and bypassed. A read that started
/// before an eviction does not put back what was evicted (generation counter). Unknown projects
/// are never cached (a miss asks the database). Entries age out after `lifetime`, a bound on
/// staleness should a notification ever be lost.
public final class ProjectCache: Sendable {
    struct Entry {
        var project: Project
        var cachedAt: ContinuousClock.Instant
    }

    struct NameKey: Hashable {
        var envId: UUID
        var name: String
    }

    /// A list page as asked for: the names the credential may read (nil: all) and the window.
    struct ListKey: Hashable {
        var exact: [String]?
        var prefixes: [String]
        var limit: Int
        var offset: Int
    }

    struct ListEntry {
        var page: Page<Project>
        var cachedAt: ContinuousClock.Instant
    }

    struct State {
        var byId: [UUID: Entry] = [:]
        var byName: [NameKey: UUID] = [:]
        /// List pages by env.
        var lists: [UUID: [ListKey: ListEntry]] = [:]
        var listCount = 0
        var generation: UInt64 = 0
        var listening = false
        var hits = 0
        var misses = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let lifetime: Duration

    public init(capacity: Int = 100_000, lifetime: Duration = .seconds(60)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// The cached project `idOrName` designates in `envId`. A UUID-shaped value is looked up by id
    /// only: the database prefers an id to a name, and the cache cannot know that no project has
    /// that id, so a UUID-shaped name is always read from the database.
    func lookup(envId: UUID, idOrName: String) -> Project? {
        let now = ContinuousClock.now
        let id = UUID(uuidString: idOrName)
        return state.withLock { state in
            guard state.listening else {
                state.misses += 1
                return nil
            }
            let projectId = id ?? state.byName[NameKey(envId: envId, name: idOrName)]
            guard let projectId, let entry = state.byId[projectId], entry.project.envId == envId,
                  now - entry.cachedAt < lifetime else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return entry.project
        }
    }

    /// What to pass to `insert` for a database read that starts now; nil while bypassed.
    func generation() -> UInt64? {
        state.withLock { $0.listening ? $0.generation : nil }
    }

    /// Keeps a project read from the database, unless an eviction happened since `generation`.
    func insert(_ project: Project, readAt generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            // Full: start over rather than track recency (the working set refills in a second).
            if state.byId.count >= capacity {
                state.byId.removeAll(keepingCapacity: true)
                state.byName.removeAll(keepingCapacity: true)
            }
            if let previous = state.byId[project.projectId] {
                state.byName[NameKey(envId: previous.project.envId, name: previous.project.name)] = nil
            }
            state.byId[project.projectId] = Entry(project: project, cachedAt: now)
            state.byName[NameKey(envId: project.envId, name: project.name)] = project.projectId
        }
    }

    /// The cached list page, if any.
    func lookupList(envId: UUID, key: ListKey) -> Page<Project>? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.listening, let entry = state.lists[envId]?[key], now - entry.cachedAt < lifetime else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return entry.page
        }
    }

    /// Keeps a list page read from the database, unless an eviction happened since `generation`.
    func insertList(envId: UUID, key: ListKey, page: Page<Project>, readAt generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.listCount >= capacity {
                state.lists.removeAll(keepingCapacity: true)
                state.listCount = 0
            }
            if state.lists[envId, default: [:]].updateValue(ListEntry(page: page, cachedAt: now), forKey: key) == nil {
                state.listCount += 1
            }
        }
    }

    /// Forgets a project that changed (or may have), and the list pages of its env (of every env
    /// when `envId` is nil).
    public func evict(_ projectId: UUID?, envId: UUID?) {
        state.withLock { state in
            state.generation &+= 1
            if let projectId, let entry = state.byId.removeValue(forKey: projectId) {
                state.byName[NameKey(envId: entry.project.envId, name: entry.project.name)] = nil
            }
            if let envId {
                state.listCount -= state.lists.removeValue(forKey: envId)?.count ?? 0
            } else {
                state.lists.removeAll()
                state.listCount = 0
            }
        }
    }

    /// Whether the process's listener is listening: when it is not, the cache is emptied and bypassed.
    public func listening(_ listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.listening = listening
            if !listening {
                state.byId.removeAll()
                state.byName.removeAll()
                state.lists.removeAll()
                state.listCount = 0
            }
        }
    }

    /// Counters (for tests).
    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var listening: Bool
    }

    public var statistics: Statistics {
        state.withLock { Statistics(entries: $0.byId.count, hits: $0.hits, misses: $0.misses, listening: $0.listening) }
    }

    /// The cached project with this id, whatever its age (for tests).
    public func cached(_ projectId: UUID) -> Project? {
        state.withLock { $0.byId[projectId]?.project }
    }

    /// How many list pages of the env are cached, whatever their age (for tests).
    public func cachedLists(_ envId: UUID) -> Int {
        state.withLock { $0.lists[envId]?.count ?? 0 }
    }
}

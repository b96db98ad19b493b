import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// Projects of an env, found by id or by name (from the process's project cache when it holds them).
public struct ProjectStore: Sendable {
    let database: Database
    /// Nil: every lookup reads the database.
    let cache: ProjectCache?

    public init(database: Database, cache: ProjectCache? = nil) {
        self.database = database
        self.cache = cache
    }

    /// Which project names a list may show: nil for all, otherwise exact names and name prefixes.
    public typealias NameFilter = (exact: [String], prefixes: [String])

    public func list(envId: UUID, page: PageRequest, names: NameFilter?) async throws -> Page<Project> {
        let key = ProjectCache.ListKey(exact: names?.exact, prefixes: names?.prefixes ?? [], limit: page.limit, offset: page.offset)
        if let cached = cache?.lookupList(envId: envId, key: key) { return cached }
        let generation = cache?.listGeneration()
        let read = try await readList(envId: envId, page: page, names: names)
        if let generation { cache?.insertList(envId: envId, key: key, page: read, readAt: generation) }
        return read
    }

    private func readList(envId: UUID, page: PageRequest, names: NameFilter?) async throws -> Page<Project> {
        let all = names == nil
        let exact = names?.exact ?? []
        // LIKE patterns: the prefix with LIKE's own wildcards escaped, then %.
        let prefixes = (names?.prefixes ?? []).map { Self.likeEscaped($0) + "%" }
        let filter: PostgresQuery = """
            SELECT project_id, env_id, name, active, created_at, updated_at, count(*) OVER () AS total
            FROM project
            WHERE env_id = \(envId) AND (\(all) OR name = ANY(\(exact)) OR name LIKE ANY(\(prefixes)))
            ORDER BY created_at DESC, project_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """
        let rows = try await database.query(filter).all((UUID, UUID, String, Bool, Date, Date, Int).self)
        let total = try await database.total(windowCount: rows.first?.6, page: page, count: """
            SELECT count(*)::bigint FROM project
            WHERE env_id = \(envId) AND (\(all) OR name = ANY(\(exact)) OR name LIKE ANY(\(prefixes)))
            """)
        return Page(items: rows.map { Self.project(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5)) }, total: total, limit: page.limit, offset: page.offset)
    }

    public func create(envId: UUID, name: String) async throws -> Project {
        // This process's lists of the env forget their pages at once (others' when the trigger's
        // notification arrives).
        defer { cache?.evict(nil, envId: envId) }
        do {
            let rows = try await database.query("""
                INSERT INTO project (project_id, env_id, name) VALUES (\(UUID.v7()), \(envId), \(name))
                RETURNING project_id, env_id, name, active, created_at, updated_at
                """).all((UUID, UUID, String, Bool, Date, Date).self)
            return Self.project(rows[0])
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StoreError.projectNameTaken(name: name)
        }
    }

    /// By UUID first, then by name.
    public func find(envId: UUID, idOrName: String) async throws -> Project? {
        if let cached = cache?.lookup(envId: envId, idOrName: idOrName) { return cached }
        let generation = cache?.generation()
        let found = try await read(envId: envId, idOrName: idOrName)
        if let found, let generation { cache?.insert(found, readAt: generation) }
        return found
    }

    private func read(envId: UUID, idOrName: String) async throws -> Project? {
        let id = UUID(uuidString: idOrName)
        let rows = try await database.query("""
            SELECT project_id, env_id, name, active, created_at, updated_at FROM project
            WHERE env_id = \(envId) AND (project_id = \(id) OR name = \(idOrName))
            ORDER BY (project_id = \(id)) IS TRUE DESC
            LIMIT 1
            """).all((UUID, UUID, String, Bool, Date, Date).self)
        return rows.first.map(Self.project)
    }

    public func rename(envId: UUID, projectId: UUID, to name: String) async throws -> Project? {
        // This process forgets it at once (others when the trigger's notification arrives).
        defer { cache?.evict(projectId, envId: envId) }
        do {
            let rows = try await database.query("""
                UPDATE project SET name = \(name), updated_at = now()
                WHERE env_id = \(envId) AND project_id = \(projectId)
                RETURNING project_id, env_id, name, active, created_at, updated_at
                """).all((UUID, UUID, String, Bool, Date, Date).self)
            return rows.first.map(Self.project)
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StoreError.projectNameTaken(name: name)
        }
    }

    /// Activates the project and redeploys its newest build (returned; nil when it has none), or
    /// deactivates it and undeploys its builds, in one transaction. Nil when there is no such project.
    public func setActive(_ active: Bool, envId: UUID, projectId: UUID) async throws -> (Project, redeployed: UUID?)? {
        defer { cache?.evict(projectId, envId: envId) }
        return try await database.transaction { connection in
            let logger = database.logger
            // Deploys of one project take turns (BuildStore.deploy takes the same lock).
            let locked = try await connection.query("""
                SELECT 1 FROM project WHERE env_id = \(envId) AND project_id = \(projectId) FOR UPDATE
                """, logger: logger).all(Int.self)
            guard !locked.isEmpty else { return nil }
            var redeployed: UUID?
            if active {
                let newest = try await connection.query("""
                    SELECT build_id FROM build WHERE project_id = \(projectId) ORDER BY created_at DESC, build_id DESC LIMIT 1
                    """, logger: logger).all(UUID.self).first
                if let newest {
                    redeployed = try await BuildStore.deploy(buildId: newest, projectId: projectId, envId: envId, on: connection, logger: logger)?.buildId
                }
            } else {
                try await connection.query("""
                    UPDATE build SET deployed = false, updated_at = now() WHERE project_id = \(projectId) AND deployed
                    """, logger: logger)
            }
            let rows = try await connection.query("""
                UPDATE project SET active = \(active), updated_at = now() WHERE project_id = \(projectId)
                RETURNING project_id, env_id, name, active, created_at, updated_at
                """, logger: logger).all((UUID, UUID, String, Bool, Date, Date).self)
            return rows.first.map { (Self.project($0), redeployed) }
        }
    }

    public func delete(envId: UUID, projectId: UUID) async throws -> Bool {
        defer { cache?.evict(projectId, envId: envId) }
        let rows = try await database.query("""
            DELETE FROM project WHERE env_id = \(envId) AND project_id = \(projectId) RETURNING project_id
            """).all(UUID.self)
        return !rows.isEmpty
    }

    static func project(_ row: (UUID, UUID, String, Bool, Date, Date)) -> Project {
        Project(projectId: row.0, envId: row.1, name: row.2, active: row.3, createdAt: row.4, updatedAt: row.5)
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

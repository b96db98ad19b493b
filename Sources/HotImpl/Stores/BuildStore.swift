import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO

/// Builds of a project, with the event handlers and schedules their bundles declare.
public struct BuildStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static let columns = "b.build_id, b.project_id, b.hash, b.size, b.build_type, b.deployed, b.active, b.created_at, b.updated_at, b.storage_path, b.storage_backend"
    typealias Row = (UUID, UUID, String, Int64, String, Bool, Bool, Date, Date, String?, String?)

    static func build(_ row: Row) -> Build {
        Build(buildId: row.0, projectId: row.1, hash: row.2, size: Int(row.3), buildType: row.4, deployed: row.5, active: row.6,
              createdAt: row.7, updatedAt: row.8, storagePath: row.9, storageBackend: row.10)
    }

    /// The project's builds: the deployed one first, then newest first.
    public func list(projectId: UUID, page: PageRequest) async throws -> Page<Build> {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER ()
            FROM build b WHERE b.project_id = \(projectId)
            ORDER BY b.deployed DESC, b.created_at DESC, b.build_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, Int64, String, Bool, Bool, Date, Date, String?, String?, Int).self)
        let total = try await database.total(windowCount: rows.first?.11, page: page, count: """
            SELECT count(*)::bigint FROM build WHERE project_id = \(projectId)
            """)
        let items = rows.map { Self.build(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8, $0.9, $0.10)) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    /// The env's builds, newest first, each with its project's name; `names` limits the projects
    /// (nil: all) as the credential's `build:` grants do.
    public func list(envId: UUID, page: PageRequest, names: ProjectStore.NameFilter?) async throws -> Page<BuildWithProject> {
        let all = names == nil
        let exact = names?.exact ?? []
        let prefixes = (names?.prefixes ?? []).map { ProjectStore.likeEscaped($0) + "%" }
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), p.name, count(*) OVER ()
            FROM build b JOIN project p ON p.project_id = b.project_id
            WHERE b.env_id = \(envId) AND (\(all) OR p.name = ANY(\(exact)) OR p.name LIKE ANY(\(prefixes)))
            ORDER BY b.created_at DESC, b.build_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, Int64, String, Bool, Bool, Date, Date, String?, String?, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.12, page: page, count: """
            SELECT count(*)::bigint FROM build b JOIN project p ON p.project_id = b.project_id
            WHERE b.env_id = \(envId) AND (\(all) OR p.name = ANY(\(exact)) OR p.name LIKE ANY(\(prefixes)))
            """)
        let items = rows.map {
            BuildWithProject(buildId: $0.0, projectId: $0.1, projectName: $0.11, hash: $0.2, size: Int($0.3), buildType: $0.4,
                             deployed: $0.5, active: $0.6, createdAt: $0.7, updatedAt: $0.8, storagePath: $0.9, storageBackend: $0.10)
        }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    public func find(projectId: UUID, buildId: UUID) async throws -> Build? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM build b WHERE b.project_id = \(projectId) AND b.build_id = \(buildId)
            """).all(Row.self).first.map(Self.build)
    }

    public func deployed(projectId: UUID) async throws -> Build? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM build b WHERE b.project_id = \(projectId) AND b.deployed
            """).all(Row.self).first.map(Self.build)
    }

    /// The project's newest build of type `live` (a development build).
    public func live(projectId: UUID) async throws -> Build? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM build b WHERE b.project_id = \(projectId) AND b.build_type = 'live'
            ORDER BY b.created_at DESC LIMIT 1
            """).all(Row.self).first.map(Self.build)
    }

    /// Where the project's archives are stored.
    public func storagePaths(projectId: UUID) async throws -> [String] {
        try await database.query("""
            SELECT storage_path FROM build WHERE project_id = \(projectId) AND storage_path IS NOT NULL
            """).all(String.self)
    }

    /// What a new build records.
    public struct NewBuild: Sendable {
        public var buildId: UUID
        public var projectId: UUID
        public var envId: UUID
        public var hash: String
        public var size: Int64
        public var buildType: String
        public var contents: BundleContents
    }

    public enum Creation: Sendable {
        case created(Build)
        /// The build id exists already in this project: nothing was stored.
        case exists(Build)
    }

    /// Records a build whose archive is already stored at `storagePath`. Uploads of one build id
    /// are serialised (a transaction-scoped advisory lock), so concurrent uploads end with exactly
    /// one build; the same id in another project is a 409. Storage I/O stays outside the
    /// transaction: the caller removes its archive unless the build was created.
    public func create(_ new: NewBuild, storagePath: String, backend: String) async throws -> Creation {
        try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(new.buildId.lowercased), 7))", logger: database.logger)
            let existing = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM build b WHERE b.build_id = \(new.buildId)
                """, logger: database.logger).all(Row.self).first.map(Self.build)
            if let existing {
                guard existing.projectId == new.projectId else {
                    throw StoreError.buildIdOfAnotherProject
                }
                return .exists(existing)
            }
            let row = try await connection.query("""
                INSERT INTO build (build_id, project_id, env_id, hash, size, build_type, storage_path, storage_backend, bundle_name)
                VALUES (\(new.buildId), \(new.projectId), \(new.envId), \(new.hash), \(new.size), \(new.buildType),
                        \(storagePath), \(backend), \(new.contents.bundleName))
                RETURNING build_id, project_id, hash, size, build_type, deployed, active, created_at, updated_at, storage_path, storage_backend
                """, logger: database.logger).all(Row.self)
            try await insertDeclarations(new, connection: connection)
            return .created(Self.build(row[0]))
        }
    }

    /// The project a build id belongs to, in any env (build ids are unique across the deployment).
    public func owner(of buildId: UUID) async throws -> UUID? {
        try await database.query("SELECT project_id FROM build WHERE build_id = \(buildId)").all(UUID.self).first
    }

    /// The bundle's event handlers and schedules (one statement each), its tools, webhooks and modules.
    private func insertDeclarations(_ new: NewBuild, connection: PostgresConnection) async throws {
        let handlers = new.contents.eventHandlers
        if !handlers.isEmpty {
            try await connection.query("""
                INSERT INTO event_handler (event_handler_id, build_id, project_id, event_type, ns, var, meta, position, module)
                SELECT id, \(new.buildId), \(new.projectId), event_type, ns, var, meta::jsonb, position, NULLIF(module, '')
                FROM unnest(\(handlers.map { _ in UUID.v7() }), \(handlers.map(\.eventType)), \(handlers.map(\.ns)),
                            \(handlers.map { $0.`var` }), \(handlers.map(\.metaJSON)), \(Array(0..<handlers.count)),
                            \(handlers.map { $0.module ?? "" }))
                     AS h(id, event_type, ns, var, meta, position, module)
                """, logger: database.logger)
        }
        let schedules = new.contents.schedules
        if !schedules.isEmpty {
            try await connection.query("""
                INSERT INTO schedule (schedule_id, build_id, project_id, cron, ns, var, meta, position, module)
                SELECT id, \(new.buildId), \(new.projectId), cron, ns, var, meta::jsonb, position, NULLIF(module, '')
                FROM unnest(\(schedules.map { _ in UUID.v7() }), \(schedules.map(\.cron)), \(schedules.map(\.ns)),
                            \(schedules.map { $0.`var` }), \(schedules.map(\.metaJSON)), \(Array(0..<schedules.count)),
                            \(schedules.map { $0.module ?? "" }))
                     AS s(id, cron, ns, var, meta, position, module)
                """, logger: database.logger)
        }
        for (position, tool) in new.contents.tools.enumerated() {
            try await connection.query("""
                INSERT INTO mcp_tool (mcp_tool_id, build_id, project_id, service, name, ns, var, description, title, input_schema,
                                      output_schema, annotations, auth_mode, meta, module, position)
                VALUES (\(UUID.v7()), \(new.buildId), \(new.projectId), \(tool.service), \(tool.name), \(tool.ns), \(tool.var),
                        \(tool.description), \(tool.title), \(tool.inputSchemaJSON)::jsonb, \(tool.outputSchemaJSON)::jsonb,
                        \(tool.annotationsJSON)::jsonb, \(tool.authMode), \(tool.metaJSON)::jsonb, \(tool.module), \(position))
                """, logger: database.logger)
        }
        for (position, webhook) in new.contents.webhooks.enumerated() {
            // The token of the same webhook in an earlier build of the project, else a new one.
            try await connection.query("""
                INSERT INTO webhook (webhook_id, build_id, project_id, service, path, method, name, ns, var, description, auth_mode,
                                     meta, module, token, position)
                VALUES (\(UUID.v7()), \(new.buildId), \(new.projectId), \(webhook.service), \(webhook.path), \(webhook.method),
                        \(webhook.name), \(webhook.ns), \(webhook.var), \(webhook.description), \(webhook.authMode),
                        \(webhook.metaJSON)::jsonb, \(webhook.module),
                        coalesce((SELECT token FROM webhook WHERE project_id = \(new.projectId) AND service = \(webhook.service)
                                  AND path = \(webhook.path) AND method = \(webhook.method) LIMIT 1), \(Self.webhookToken())),
                        \(position))
                """, logger: database.logger)
        }
        // The modules, checked and compiled at upload: workers read them from here.
        for (path, wasm) in new.contents.modules.sorted(by: { $0.key < $1.key }) {
            try await connection.query("""
                INSERT INTO build_module (build_id, path, wasm) VALUES (\(new.buildId), \(path), \(ByteBuffer(bytes: wasm)))
                """, logger: database.logger)
        }
    }

    /// A webhook's URL token: 12 random hex digits.
    static func webhookToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }.joined()
    }

    /// Marks the build deployed; the project's previously deployed build stops being deployed in
    /// the same transaction, the project becomes active again, and a deployment row records it
    /// for the workers. Nil when the project has no such build.
    public func deploy(projectId: UUID, buildId: UUID, envId: UUID) async throws -> Build? {
        try await database.transaction { connection in
            // Deploys of one project take turns.
            try await connection.query("SELECT 1 FROM project WHERE project_id = \(projectId) FOR UPDATE", logger: database.logger)
            return try await Self.deploy(buildId: buildId, projectId: projectId, envId: envId, on: connection, logger: database.logger)
        }
    }

    /// Deploys the build (undeploying the project's others) and activates its project, in the
    /// transaction of `connection`, which holds the project's row lock. Nil when the project has
    /// no such build.
    static func deploy(buildId: UUID, projectId: UUID, envId: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Build? {
        let found = try await connection.query("""
            SELECT 1 FROM build WHERE project_id = \(projectId) AND build_id = \(buildId)
            """, logger: logger).all(Int.self)
        guard !found.isEmpty else { return nil }
        try await connection.query("""
            UPDATE build SET deployed = false, updated_at = now()
            WHERE project_id = \(projectId) AND deployed AND build_id <> \(buildId)
            """, logger: logger)
        let rows = try await connection.query("""
            UPDATE build SET deployed = true, active = true, updated_at = now() WHERE build_id = \(buildId)
            RETURNING build_id, project_id, hash, size, build_type, deployed, active, created_at, updated_at, storage_path, storage_backend
            """, logger: logger).all(Row.self)
        try await connection.query("""
            UPDATE project SET active = true, updated_at = now() WHERE project_id = \(projectId) AND NOT active
            """, logger: logger)
        try await connection.query("""
            INSERT INTO deployment (deployment_id, build_id, project_id, env_id)
            VALUES (\(UUID.v7()), \(buildId), \(projectId), \(envId))
            """, logger: logger)
        return rows.first.map(Self.build)
    }

    /// The event handlers of the project's deployed build, in manifest order.
    public func eventHandlers(projectId: UUID, page: PageRequest) async throws -> Page<EventHandler> {
        let rows = try await database.query("""
            SELECT h.event_handler_id, h.build_id, h.event_type, h.ns, h.var, count(*) OVER ()
            FROM event_handler h JOIN build b ON b.build_id = h.build_id
            WHERE b.project_id = \(projectId) AND b.deployed
            ORDER BY h.position
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, String, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.5, page: page, count: """
            SELECT count(*)::bigint FROM event_handler h JOIN build b ON b.build_id = h.build_id
            WHERE b.project_id = \(projectId) AND b.deployed
            """)
        let items = rows.map { EventHandler(eventHandlerId: $0.0, buildId: $0.1, eventType: $0.2, ns: $0.3, var: $0.4) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    /// The schedules of the project's deployed build, in manifest order.
    public func schedules(projectId: UUID, page: PageRequest) async throws -> Page<Schedule> {
        let rows = try await database.query("""
            SELECT s.schedule_id, s.build_id, s.cron, s.ns, s.var, count(*) OVER ()
            FROM schedule s JOIN build b ON b.build_id = s.build_id
            WHERE b.project_id = \(projectId) AND b.deployed
            ORDER BY s.position
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, String, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.5, page: page, count: """
            SELECT count(*)::bigint FROM schedule s JOIN build b ON b.build_id = s.build_id
            WHERE b.project_id = \(projectId) AND b.deployed
            """)
        let items = rows.map { Schedule(scheduleId: $0.0, buildId: $0.1, cron: $0.2, ns: $0.3, var: $0.4) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }
}

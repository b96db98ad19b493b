import Foundation
import Generated
import HotRuntime
import PostgresNIO

/// The webhooks and MCP tools of deployed builds (docs/calls.md): listed per project, and found by
/// the URL a caller sends.
public struct ServiceStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Where an env's services are reached: `<org slug>/<env name>`.
    struct EnvPath: Sendable, Equatable {
        var orgSlug: String
        var envName: String

        var text: String { "\(orgSlug)/\(envName)" }
    }

    // MARK: Listing

    /// The deployed build's webhooks, in manifest order, with the path of their env.
    func webhooks(projectId: UUID, page: PageRequest) async throws -> (Page<WebhookRow>, EnvPath?) {
        let rows = try await database.query("""
            SELECT w.webhook_id, w.build_id, w.service, w.path, w.method, w.name, w.description, w.ns, w.var, w.auth_mode, w.token,
                   o.slug, e.name, count(*) OVER ()
            FROM webhook w
            JOIN build b ON b.build_id = w.build_id AND b.deployed
            JOIN env e ON e.env_id = b.env_id JOIN org o ON o.org_id = e.org_id
            WHERE b.project_id = \(projectId)
            ORDER BY w.position
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, String, String, String?, String?, String, String, String, String, String, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.13, page: page, count: """
            SELECT count(*)::bigint FROM webhook w JOIN build b ON b.build_id = w.build_id AND b.deployed WHERE b.project_id = \(projectId)
            """)
        let items = rows.map {
            WebhookRow(webhookId: $0.0, buildId: $0.1, service: $0.2, path: $0.3, method: $0.4, name: $0.5, description: $0.6, ns: $0.7,
                       var: $0.8, authMode: $0.9, token: $0.10)
        }
        return (Page(items: items, total: total, limit: page.limit, offset: page.offset), rows.first.map { EnvPath(orgSlug: $0.11, envName: $0.12) })
    }

    struct WebhookRow: Sendable {
        var webhookId: UUID
        var buildId: UUID
        var service: String
        var path: String
        var method: String
        var name: String?
        var description: String?
        var ns: String
        var `var`: String
        var authMode: String
        var token: String
    }

    /// The deployed build's tools, in manifest order, with the path of their env.
    func tools(projectId: UUID, page: PageRequest) async throws -> (Page<ToolRow>, EnvPath?) {
        let rows = try await database.query("""
            SELECT t.mcp_tool_id, t.build_id, t.service, t.name, t.title, t.description, t.ns, t.var, t.input_schema::text,
                   t.output_schema::text, t.annotations::text, t.auth_mode, o.slug, e.name, count(*) OVER ()
            FROM mcp_tool t
            JOIN build b ON b.build_id = t.build_id AND b.deployed
            JOIN env e ON e.env_id = b.env_id JOIN org o ON o.org_id = e.org_id
            WHERE b.project_id = \(projectId)
            ORDER BY t.position
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, String, String, String?, String?, String, String, String, String?, String?, String, String, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.14, page: page, count: """
            SELECT count(*)::bigint FROM mcp_tool t JOIN build b ON b.build_id = t.build_id AND b.deployed WHERE b.project_id = \(projectId)
            """)
        let items = try rows.map {
            ToolRow(mcpToolId: $0.0, buildId: $0.1, service: $0.2, name: $0.3, title: $0.4, description: $0.5, ns: $0.6, var: $0.7,
                    inputSchema: try JSONValue.parse(Data($0.8.utf8)), outputSchema: try $0.9.map { try JSONValue.parse(Data($0.utf8)) },
                    annotations: try $0.10.map { try JSONValue.parse(Data($0.utf8)) }, authMode: $0.11)
        }
        return (Page(items: items, total: total, limit: page.limit, offset: page.offset), rows.first.map { EnvPath(orgSlug: $0.12, envName: $0.13) })
    }

    struct ToolRow: Sendable {
        var mcpToolId: UUID
        var buildId: UUID
        var service: String
        var name: String
        var title: String?
        var description: String?
        var ns: String
        var `var`: String
        var inputSchema: JSONValue
        var outputSchema: JSONValue?
        var annotations: JSONValue?
        var authMode: String
    }

    // MARK: Endpoints

    /// The env a service URL names: by org slug and env name, or (on a custom domain) the env of
    /// the `active` domain the request's host is. Nil when there is none.
    public func env(orgSlug: String, envName: String) async throws -> ServiceEnv? {
        try await database.query("""
            SELECT e.env_id, e.org_id, o.plan FROM env e JOIN org o ON o.org_id = e.org_id
            WHERE o.slug = \(orgSlug) AND e.name = \(envName)
            """).all((UUID, UUID, String).self).first.map { ServiceEnv(envId: $0.0, orgId: $0.1, plan: $0.2) }
    }

    public func env(domain: String) async throws -> ServiceEnv? {
        try await database.query("""
            SELECT e.env_id, e.org_id, o.plan FROM domain d JOIN env e ON e.env_id = d.env_id JOIN org o ON o.org_id = e.org_id
            WHERE d.domain = \(domain) AND d.status = 'active'
            """).all((UUID, UUID, String).self).first.map { ServiceEnv(envId: $0.0, orgId: $0.1, plan: $0.2) }
    }

    public struct ServiceEnv: Sendable, Equatable {
        public var envId: UUID
        public var orgId: UUID
        public var plan: String
    }

    /// The function a call through a webhook or tool runs: the build that declares it, and how.
    public struct Target: Sendable, Equatable {
        public var projectId: UUID
        public var buildId: UUID
        public var ns: String
        public var `var`: String
        public var metaJSON: String
        public var module: String?
        /// `required` or `none`.
        public var authMode: String
    }

    /// The webhook of a deployed build of an active project of the env at `service`, `path`,
    /// `method` with `token`; nil for anything unknown (the caller learns nothing more).
    public func webhook(envId: UUID, service: String, path: String, method: String, token: String) async throws -> Target? {
        try await database.query("""
            SELECT w.project_id, w.build_id, w.ns, w.var, w.meta::text, w.module, w.auth_mode
            FROM webhook w
            JOIN build b ON b.build_id = w.build_id AND b.deployed
            JOIN project p ON p.project_id = w.project_id AND p.active AND p.env_id = \(envId)
            WHERE w.token = \(token) AND w.service = \(service) AND w.path = \(path) AND w.method = \(method)
            ORDER BY p.created_at LIMIT 1
            """).all((UUID, UUID, String, String, String, String?, String).self).first.map(Self.target)
    }

    /// One tool of a service, as `tools/list` shows it and `tools/call` runs it.
    public struct Tool: Sendable {
        public var name: String
        public var title: String?
        public var description: String?
        public var inputSchema: JSONValue
        public var outputSchema: JSONValue?
        public var annotations: JSONValue?
        public var target: Target
    }

    /// The tools of `service` in the deployed builds of the env's active projects; a name two
    /// projects declare is the oldest project's.
    public func tools(envId: UUID, service: String) async throws -> [Tool] {
        let rows = try await database.query("""
            SELECT DISTINCT ON (t.name) t.name, t.title, t.description, t.input_schema::text, t.output_schema::text, t.annotations::text,
                   t.project_id, t.build_id, t.ns, t.var, t.meta::text, t.module, t.auth_mode
            FROM mcp_tool t
            JOIN build b ON b.build_id = t.build_id AND b.deployed
            JOIN project p ON p.project_id = t.project_id AND p.active AND p.env_id = \(envId)
            WHERE t.service = \(service)
            ORDER BY t.name, p.created_at, t.position
            """).all((String, String?, String?, String, String?, String?, UUID, UUID, String, String, String, String?, String).self)
        return try rows.map {
            Tool(name: $0.0, title: $0.1, description: $0.2, inputSchema: try JSONValue.parse(Data($0.3.utf8)),
                 outputSchema: try $0.4.map { try JSONValue.parse(Data($0.utf8)) }, annotations: try $0.5.map { try JSONValue.parse(Data($0.utf8)) },
                 target: Self.target(($0.6, $0.7, $0.8, $0.9, $0.10, $0.11, $0.12)))
        }
    }

    private static func target(_ row: (UUID, UUID, String, String, String, String?, String)) -> Target {
        Target(projectId: row.0, buildId: row.1, ns: row.2, var: row.3, metaJSON: row.4, module: row.5, authMode: row.6)
    }
}

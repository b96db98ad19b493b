import Generated
import HotRuntime

extension HotService {
    public func listWebhooks(_ input: ListWebhooks.Input, context: HotRequestContext) async throws -> ListWebhooks.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        let (page, env) = try await services.webhooks(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset))
        let base = baseURL(context)
        return .ok(page.map { row in
            Webhook(webhookId: row.webhookId, buildId: row.buildId, service: row.service, path: row.path, method: row.method, name: row.name,
                    description: row.description, ns: row.ns, var: row.var, authMode: row.authMode,
                    url: "\(base)/webhook/\(env?.text ?? "")/\(row.service)\(row.path)/\(row.token)")
        })
    }

    public func listMcpTools(_ input: ListMcpTools.Input, context: HotRequestContext) async throws -> ListMcpTools.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        let (page, env) = try await services.tools(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset))
        let base = baseURL(context)
        return .ok(page.map { row in
            McpTool(mcpToolId: row.mcpToolId, buildId: row.buildId, service: row.service, name: row.name, title: row.title,
                    description: row.description, ns: row.ns, var: row.var, inputSchema: row.inputSchema.objectValue ?? [:],
                    outputSchema: row.outputSchema?.objectValue, annotations: row.annotations?.objectValue, authMode: row.authMode,
                    url: "\(base)/mcp/\(env?.text ?? "")/\(row.service)")
        })
    }

    /// `HOT_PUBLIC_URL`, else `http://` and the host the request came to.
    func baseURL(_ context: HotRequestContext) -> String {
        publicURL ?? "http://\(context.authority ?? "localhost")"
    }
}

import Generated
import HotRuntime

extension HotService {
    public func listContextVariables(_ input: ListContextVariables.Input, context: HotRequestContext) async throws -> ListContextVariables.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        return .ok(try await contexts.list(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func createContextVariable(_ input: CreateContextVariable.Input, context: HotRequestContext) async throws -> CreateContextVariable.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        return .created(try await contexts.create(
            projectId: project.projectId, key: input.body.key, value: input.body.value, description: input.body.description))
    }

    public func updateContextVariable(_ input: UpdateContextVariable.Input, context: HotRequestContext) async throws -> UpdateContextVariable.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        guard let variable = try await contexts.update(
            projectId: project.projectId, key: input.key, value: input.body.value, description: input.body.description)
        else { throw APIError.notFound("Context variable not found") }
        return .ok(variable)
    }

    public func deleteContextVariable(_ input: DeleteContextVariable.Input, context: HotRequestContext) async throws -> DeleteContextVariable.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        guard try await contexts.delete(projectId: project.projectId, key: input.key) else {
            throw APIError.notFound("Context variable not found")
        }
        return .noContent
    }
}

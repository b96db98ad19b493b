import Generated
import HotRuntime

extension HotService {
    public func listEventHandlers(_ input: ListEventHandlers.Input, context: HotRequestContext) async throws -> ListEventHandlers.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        return .ok(try await builds.eventHandlers(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }
}

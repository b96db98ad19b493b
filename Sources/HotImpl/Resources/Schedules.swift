import Generated
import HotRuntime

extension HotService {
    public func listSchedules(_ input: ListSchedules.Input, context: HotRequestContext) async throws -> ListSchedules.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        return .ok(try await builds.schedules(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }
}

import Foundation
import Generated
import HotRuntime

extension HotService {
    public func listRuns(_ input: ListRuns.Input, context: HotRequestContext) async throws -> ListRuns.Output {
        let credential = try context.requireCredential()
        let filter = try runFilter(status: input.status, type: input.type, timeRange: input.timeRange)
        let ids = PermissionSet(credential.permissions).paths(for: "read", ofType: "run")
        return .ok(try await runs.list(envId: credential.envId, filter: filter, ids: ids, page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func getRunStats(_ input: GetRunStats.Input, context: HotRequestContext) async throws -> GetRunStats.Output {
        let credential = try context.requireCredential()
        let filter = try runFilter(status: input.status, type: input.type, timeRange: input.timeRange)
        return .ok(try await runs.stats(envId: credential.envId, filter: filter))
    }

    public func getRun(_ input: GetRun.Input, context: HotRequestContext) async throws -> GetRun.Output {
        let credential = try context.requireCredential()
        guard let run = try await runs.find(envId: credential.envId, runId: input.runId) else { throw APIError.notFound("Run not found") }
        return .ok(run)
    }

    func runFilter(status: RunStatus?, type: RunType?, timeRange: String?) throws -> RunStore.Filter {
        var since: Date?
        if let timeRange {
            guard let seconds = ISODuration.seconds(timeRange) else {
                throw APIError.badRequest("Invalid query parameter 'time_range': '\(timeRange)' is not an ISO 8601 duration such as PT1H, P7D, P1W or P30D")
            }
            // A range reaching back before 1970 leaves nothing out (and PostgreSQL's timestamps end
            // in 4713 BC, which ranges of thousands of years would pass).
            let now = clock.now()
            since = seconds < now.timeIntervalSince1970 ? now.addingTimeInterval(-seconds) : nil
        }
        return RunStore.Filter(status: status, type: type, since: since)
    }
}

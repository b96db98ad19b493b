import Generated
import HotRuntime

extension HotService {
    public func getStatus(_ input: GetStatus.Input, context: HotRequestContext) async throws -> GetStatus.Output {
        .ok(ServerStatus(
            status: "ok", service: "hot.dev api server", version: buildInfo.version,
            gitSha: buildInfo.gitSha, startTime: buildInfo.startTime
        ))
    }
}

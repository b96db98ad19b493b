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

extension HotService {
    public func getRoot(_ input: GetRoot.Input, context: HotRequestContext) async throws -> GetRoot.Output {
        switch try await getStatus(GetStatus.Input(), context: context) {
        case .ok(let status): .ok(status)
        }
    }
}

import Generated
import HotRuntime

// Operations whose issues are still open: routed, authenticated, validated, and answered with
// 501 `not_implemented` in the error envelope until implemented in their own resource file.
extension HotService {
    public func listEvents(_ input: ListEvents.Input, context: HotRequestContext) async throws -> ListEvents.Output {
        throw APIError.notImplemented("listEvents")
    }

    public func publishEvent(_ input: PublishEvent.Input, context: HotRequestContext) async throws -> PublishEvent.Output {
        throw APIError.notImplemented("publishEvent")
    }

    public func getEvent(_ input: GetEvent.Input, context: HotRequestContext) async throws -> GetEvent.Output {
        throw APIError.notImplemented("getEvent")
    }

    public func listEventRuns(_ input: ListEventRuns.Input, context: HotRequestContext) async throws -> ListEventRuns.Output {
        throw APIError.notImplemented("listEventRuns")
    }

    public func listRuns(_ input: ListRuns.Input, context: HotRequestContext) async throws -> ListRuns.Output {
        throw APIError.notImplemented("listRuns")
    }

    public func getRunStats(_ input: GetRunStats.Input, context: HotRequestContext) async throws -> GetRunStats.Output {
        throw APIError.notImplemented("getRunStats")
    }

    public func getRun(_ input: GetRun.Input, context: HotRequestContext) async throws -> GetRun.Output {
        throw APIError.notImplemented("getRun")
    }

    public func subscribeEnv(_ input: SubscribeEnv.Input, context: HotRequestContext) async throws -> SubscribeEnv.Output {
        throw APIError.notImplemented("subscribeEnv")
    }

    public func subscribeStream(_ input: SubscribeStream.Input, context: HotRequestContext) async throws -> SubscribeStream.Output {
        throw APIError.notImplemented("subscribeStream")
    }

    public func subscribeWithEvent(_ input: SubscribeWithEvent.Input, context: HotRequestContext) async throws -> SubscribeWithEvent.Output {
        throw APIError.notImplemented("subscribeWithEvent")
    }

    public func listDomains(_ input: ListDomains.Input, context: HotRequestContext) async throws -> ListDomains.Output {
        throw APIError.notImplemented("listDomains")
    }

    public func createDomain(_ input: CreateDomain.Input, context: HotRequestContext) async throws -> CreateDomain.Output {
        throw APIError.notImplemented("createDomain")
    }

    public func getDomain(_ input: GetDomain.Input, context: HotRequestContext) async throws -> GetDomain.Output {
        throw APIError.notImplemented("getDomain")
    }

    public func deleteDomain(_ input: DeleteDomain.Input, context: HotRequestContext) async throws -> DeleteDomain.Output {
        throw APIError.notImplemented("deleteDomain")
    }

    public func verifyDomain(_ input: VerifyDomain.Input, context: HotRequestContext) async throws -> VerifyDomain.Output {
        throw APIError.notImplemented("verifyDomain")
    }
}

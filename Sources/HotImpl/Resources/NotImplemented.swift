import Generated
import HotRuntime

// Operations whose issues are still open: routed, authenticated, validated, and answered with
// 501 `not_implemented` in the error envelope until implemented in their own resource file.
extension HotService {
    public func listBuilds(_ input: ListBuilds.Input, context: HotRequestContext) async throws -> ListBuilds.Output {
        throw APIError.notImplemented("listBuilds")
    }

    public func listProjectBuilds(_ input: ListProjectBuilds.Input, context: HotRequestContext) async throws -> ListProjectBuilds.Output {
        throw APIError.notImplemented("listProjectBuilds")
    }

    public func uploadBuild(_ input: UploadBuild.Input, context: HotRequestContext) async throws -> UploadBuild.Output {
        throw APIError.notImplemented("uploadBuild")
    }

    public func getDeployedBuild(_ input: GetDeployedBuild.Input, context: HotRequestContext) async throws -> GetDeployedBuild.Output {
        throw APIError.notImplemented("getDeployedBuild")
    }

    public func getLiveBuild(_ input: GetLiveBuild.Input, context: HotRequestContext) async throws -> GetLiveBuild.Output {
        throw APIError.notImplemented("getLiveBuild")
    }

    public func getBuild(_ input: GetBuild.Input, context: HotRequestContext) async throws -> GetBuild.Output {
        throw APIError.notImplemented("getBuild")
    }

    public func downloadBuild(_ input: DownloadBuild.Input, context: HotRequestContext) async throws -> DownloadBuild.Output {
        throw APIError.notImplemented("downloadBuild")
    }

    public func deployBuild(_ input: DeployBuild.Input, context: HotRequestContext) async throws -> DeployBuild.Output {
        throw APIError.notImplemented("deployBuild")
    }

    public func listContextVariables(_ input: ListContextVariables.Input, context: HotRequestContext) async throws -> ListContextVariables.Output {
        throw APIError.notImplemented("listContextVariables")
    }

    public func createContextVariable(_ input: CreateContextVariable.Input, context: HotRequestContext) async throws -> CreateContextVariable.Output {
        throw APIError.notImplemented("createContextVariable")
    }

    public func updateContextVariable(_ input: UpdateContextVariable.Input, context: HotRequestContext) async throws -> UpdateContextVariable.Output {
        throw APIError.notImplemented("updateContextVariable")
    }

    public func deleteContextVariable(_ input: DeleteContextVariable.Input, context: HotRequestContext) async throws -> DeleteContextVariable.Output {
        throw APIError.notImplemented("deleteContextVariable")
    }

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

    public func listEventHandlers(_ input: ListEventHandlers.Input, context: HotRequestContext) async throws -> ListEventHandlers.Output {
        throw APIError.notImplemented("listEventHandlers")
    }

    public func listSchedules(_ input: ListSchedules.Input, context: HotRequestContext) async throws -> ListSchedules.Output {
        throw APIError.notImplemented("listSchedules")
    }

    public func subscribeEnv(_ input: SubscribeEnv.Input, context: HotRequestContext) async throws -> SubscribeEnv.Output {
        throw APIError.notImplemented("subscribeEnv")
    }

    public func getOrgUsage(_ input: GetOrgUsage.Input, context: HotRequestContext) async throws -> GetOrgUsage.Output {
        throw APIError.notImplemented("getOrgUsage")
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

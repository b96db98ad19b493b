import Generated
import HotRuntime

extension HotService {
    public func getEnv(_ input: GetEnv.Input, context: HotRequestContext) async throws -> GetEnv.Output {
        // All of it is the credential's (cached: no round trip); a change to the env evicts the credential.
        let credential = try context.requireCredential()
        return .ok(Environment(envId: credential.envId, orgId: credential.orgId, name: credential.envName, active: credential.envActive))
    }
}

import Generated
import HotRuntime

extension HotService {
    public func getEnv(_ input: GetEnv.Input, context: HotRequestContext) async throws -> GetEnv.Output {
        let credential = try context.requireCredential()
        guard let env = try await envs.find(id: credential.envId) else { throw APIError.notFound("Environment not found") }
        return .ok(env)
    }
}

import Foundation
import Generated
import HotRuntime

extension HotService {
    public func createServiceKey(_ input: CreateServiceKey.Input, context: HotRequestContext) async throws -> CreateServiceKey.Output {
        let issuer = try apiKey(context, managing: "service keys")
        let body = input.body
        try checkIssuable(body.permissions, by: issuer)
        guard PlanLimits.of(plan: issuer.plan).serviceKeys else { throw planRequired("Service keys") }
        let now = clock.now()
        let key = ServiceKeyStore.NewKey(
            name: body.name, description: body.description, permissions: body.permissions, metadata: body.metadata,
            expiresAt: body.expiresIn.map { now.addingTimeInterval(TimeInterval($0)) })
        return .created(try await serviceKeys.create(apiKeyId: issuer.apiKeyId, envId: issuer.envId, key, now: now))
    }

    public func listServiceKeys(_ input: ListServiceKeys.Input, context: HotRequestContext) async throws -> ListServiceKeys.Output {
        let issuer = try apiKey(context, managing: "service keys")
        return .ok(try await serviceKeys.list(apiKeyId: issuer.apiKeyId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func getServiceKey(_ input: GetServiceKey.Input, context: HotRequestContext) async throws -> GetServiceKey.Output {
        let issuer = try apiKey(context, managing: "service keys")
        guard let key = try await serviceKeys.find(id: input.serviceKeyId, apiKeyId: issuer.apiKeyId) else {
            throw APIError.notFound("Service key not found")
        }
        return .ok(key)
    }

    public func updateServiceKey(_ input: UpdateServiceKey.Input, context: HotRequestContext) async throws -> UpdateServiceKey.Output {
        let issuer = try apiKey(context, managing: "service keys")
        let metadata = input.body.metadata.flatMap { $0 == .null ? nil : $0 }
        switch try await serviceKeys.updateMetadata(id: input.serviceKeyId, apiKeyId: issuer.apiKeyId, metadata: metadata) {
        case .updated(let key): return .ok(key)
        case .revoked: throw APIError(status: .conflict, code: "revoked", message: "Cannot update a revoked service key")
        case .notFound: throw APIError.notFound("Service key not found")
        }
    }

    public func revokeServiceKey(_ input: RevokeServiceKey.Input, context: HotRequestContext) async throws -> RevokeServiceKey.Output {
        let issuer = try apiKey(context, managing: "service keys")
        defer { credentialCache?.evict(.credential(input.serviceKeyId)) }
        guard try await serviceKeys.revoke(id: input.serviceKeyId, apiKeyId: issuer.apiKeyId, now: clock.now()) else {
            throw APIError.notFound("Service key not found")
        }
        return .noContent
    }

    public func revokeAllServiceKeys(_ input: RevokeAllServiceKeys.Input, context: HotRequestContext) async throws -> RevokeAllServiceKeys.Output {
        let issuer = try apiKey(context, managing: "service keys")
        defer { credentialCache?.evict(.apiKey(issuer.apiKeyId)) }
        return .ok(RevokedCount(revokedCount: try await serviceKeys.revokeAll(apiKeyId: issuer.apiKeyId, now: clock.now())))
    }
}

import Foundation
import Generated
import HotRuntime

extension HotService {
    public func createSession(_ input: CreateSession.Input, context: HotRequestContext) async throws -> CreateSession.Output {
        let issuer = try apiKey(context, managing: "sessions")
        try checkIssuable(input.body.permissions, by: issuer)
        // 1 ... 86400 is enforced by the spec's schema before the handler runs; absent, it is the
        // spec's default, applied by the generated model.
        let lifetime = input.body.expiresIn
        let now = clock.now()
        return .created(try await sessions.create(
            apiKeyId: issuer.apiKeyId, envId: issuer.envId, permissions: input.body.permissions,
            metadata: input.body.metadata, expiresAt: now.addingTimeInterval(TimeInterval(lifetime)), now: now))
    }

    public func listSessions(_ input: ListSessions.Input, context: HotRequestContext) async throws -> ListSessions.Output {
        let issuer = try apiKey(context, managing: "sessions")
        return .ok(try await sessions.listActive(
            apiKeyId: issuer.apiKeyId, now: clock.now(), page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func revokeSession(_ input: RevokeSession.Input, context: HotRequestContext) async throws -> RevokeSession.Output {
        let issuer = try apiKey(context, managing: "sessions")
        defer { credentialCache?.evict(.credential(input.sessionId)) }
        guard try await sessions.revoke(id: input.sessionId, apiKeyId: issuer.apiKeyId, now: clock.now()) else {
            throw APIError.notFound("Session not found")
        }
        return .noContent
    }

    public func revokeAllSessions(_ input: RevokeAllSessions.Input, context: HotRequestContext) async throws -> RevokeAllSessions.Output {
        let issuer = try apiKey(context, managing: "sessions")
        defer { credentialCache?.evict(.apiKey(issuer.apiKeyId)) }
        return .ok(RevokedCount(revokedCount: try await sessions.revokeAll(apiKeyId: issuer.apiKeyId, now: clock.now())))
    }
}

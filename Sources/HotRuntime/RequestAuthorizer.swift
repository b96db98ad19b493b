import Hummingbird

/// Establishes who calls and whether they may: generated routes call it around input decoding.
/// The implementation (HotImpl) looks credentials up and applies the permission model.
public protocol RequestAuthorizer: Sendable {
    /// Runs first: the credential for an authenticated operation (nil when the operation needs
    /// none), or 401 (unknown, expired, revoked), 403 (credential type not allowed), 429.
    func authenticate(_ request: Request, context: HotRequestContext, operation: OperationDescriptor) async throws -> Credential?

    /// 403 unless the credential holds each of `requirements` on the resource the inputs name.
    /// Routes check the requirements that need no body before reading it, the others after. What
    /// it looks up on the way that the handler needs too (the project a path names) it leaves in
    /// the context, so a request looks it up once.
    func authorize(context: inout HotRequestContext, requirements: [PermissionRequirement], inputs: PermissionInputs) async throws
}

import Foundation
import Hummingbird
import Logging

/// The request context of every route: Hummingbird's core storage, the request id, and the
/// credential once authentication has run.
public struct HotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A UUIDv7 made with the context; `RequestIdMiddleware` puts it in the logger's metadata and
    /// `X-Request-Id`; echoed in `meta.request_id` and `error.request_id`.
    public var requestId: UUID
    public var credential: Credential?
    /// The client's IP address, when the connection has one (rate limits on failed authentication).
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = UUID.v7()
        self.credential = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The credential, or 401 when the route ran without authentication.
    public func requireCredential() throws -> Credential {
        guard let credential else { throw APIError.unauthorized() }
        return credential
    }
}

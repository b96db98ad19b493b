import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, the request id, and the
/// credential once authentication has run.
public struct HotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A UUIDv7 made with the context; `APIMiddleware` puts it in the logger's metadata and
    /// `X-Request-Id`; echoed in `meta.request_id` and `error.request_id`.
    public var requestId: UUID
    public var credential: Credential?
    /// The client's address, when the connection has one (rate limits on failed authentication).
    public var remoteSocketAddress: SocketAddress?
    /// Its IP address as text, made when asked (most requests never need it).
    public var remoteAddress: String? { remoteSocketAddress?.ipAddress }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = UUID.v7()
        self.credential = nil
        self.remoteSocketAddress = source.channel.remoteAddress
    }

    /// The credential, or 401 when the route ran without authentication.
    public func requireCredential() throws -> Credential {
        guard let credential else { throw APIError.unauthorized() }
        return credential
    }
}

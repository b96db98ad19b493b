import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, the request id, and the
/// credential once authentication has run.
public struct HotRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A UUIDv7 made with the context, in the logger's metadata (`request_id`) and, by
    /// `APIMiddleware`, `X-Request-Id`; echoed in `meta.request_id` and `error.request_id`.
    public let requestId: UUID
    /// Its lowercase text (the header's and the log lines').
    public let requestIdText: String
    public var credential: Credential?
    /// The client's address, when the connection has one (rate limits on failed authentication).
    public var remoteSocketAddress: SocketAddress?
    /// Its IP address as text, made when asked (most requests never need it).
    public var remoteAddress: String? { remoteSocketAddress?.ipAddress }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = UUID.v7()
        self.requestIdText = requestId.lowercased
        self.credential = nil
        self.remoteSocketAddress = source.channel.remoteAddress
        // Every log line of the request carries its id, once: Hummingbird's own (another id,
        // `hb.request.id`) would be a second, unrelated one.
        logger[metadataKey: "hb.request.id"] = nil
        logger[metadataKey: "request_id"] = .string(requestIdText)
    }

    /// The credential, or 401 when the route ran without authentication.
    public func requireCredential() throws -> Credential {
        guard let credential else { throw APIError.unauthorized() }
        return credential
    }
}

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
    /// The request's connection: its address is read when asked (most requests never need it,
    /// and reading it takes the channel's lock).
    let channel: any Channel
    /// The client's address, when the connection has one (rate limits on failed authentication).
    public var remoteSocketAddress: SocketAddress? { channel.remoteAddress }
    /// Its IP address as text.
    public var remoteAddress: String? { remoteSocketAddress?.ipAddress }

    /// The request id (Hummingbird's `RequestContext.id` reads `hb.request.id`, which is not there).
    public var id: String { requestIdText }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = UUID.v7()
        self.requestIdText = requestId.lowercased
        self.credential = nil
        self.channel = source.channel
        // Every log line of the request carries its id.
        logger[metadataKey: "request_id"] = .string(requestIdText)
    }

    /// The credential, or 401 when the route ran without authentication.
    public func requireCredential() throws -> Credential {
        guard let credential else { throw APIError.unauthorized() }
        return credential
    }
}

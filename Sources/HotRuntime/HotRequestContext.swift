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
    /// The request's `Host` (its authority: host and port), set by `APIMiddleware`: URLs the API
    /// hands out (webhooks, MCP endpoints) are built on it when no public URL is configured.
    public var authority: String?
    /// What one step of the request learned that a later one needs (see `RequestContextKey`).
    private var values: [ObjectIdentifier: any Sendable] = [:]
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

    /// The value kept under `key` for this request, if any step set one.
    public subscript<Key: RequestContextKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }

    /// The credential, or 401 when the route ran without authentication.
    public func requireCredential() throws -> Credential {
        guard let credential else { throw APIError.unauthorized() }
        return credential
    }
}

/// The key of a value one step of a request hands to a later one with the request's context (the
/// project the authorizer looked up, for the handler; the connection's feed handover, for the
/// handler that opens a feed): passed explicitly, typed by its key, never through task-locals.
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

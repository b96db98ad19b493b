import Hummingbird
import NIOCore

/// The body of an operation that takes `application/octet-stream`, handed over unread: the handler
/// checks what it must first (the credential, quotas, the declared length), then streams the bytes
/// where they belong, so a large body is never held in memory and a refused one is never read.
public struct RawBody: Sendable {
    /// The Content-Type the client sent, if any (any type is taken).
    public var contentType: String?
    /// The Content-Length the client declared; nil for a chunked body.
    public var declaredLength: Int64?
    /// The bytes as they arrive; can be iterated once.
    public var stream: RequestBody

    public init(_ request: Request) {
        self.contentType = request.headers[.contentType]
        self.declaredLength = request.headers[.contentLength].flatMap { Int64($0) }
        self.stream = request.body
    }

    public init(contentType: String?, declaredLength: Int64?, stream: RequestBody) {
        self.contentType = contentType
        self.declaredLength = declaredLength
        self.stream = stream
    }
}

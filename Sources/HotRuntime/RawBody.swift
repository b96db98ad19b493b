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

    /// The body of an operation that requires one: a request with neither a Content-Length nor
    /// chunked framing has none (an empty file is sent with `Content-Length: 0`), a 400.
    public static func required(_ request: Request) throws -> RawBody {
        let body = RawBody(request)
        let chunked = request.headers[.transferEncoding]?.lowercased().contains("chunked") ?? false
        guard body.declaredLength != nil || chunked else {
            throw APIError.badRequest("Missing request body: send the bytes with a Content-Length (0 for an empty file), or chunked")
        }
        return body
    }

    public init(contentType: String?, declaredLength: Int64?, stream: RequestBody) {
        self.contentType = contentType
        self.declaredLength = declaredLength
        self.stream = stream
    }
}

import Foundation
import Hummingbird
import NIOCore

/// A non-JSON response body (a build's zip), streamed: it is never held in memory whole.
public struct BinaryBody: Sendable {
    public var contentType: String
    public var body: ResponseBody

    public init(contentType: String, body: ResponseBody) {
        self.contentType = contentType
        self.body = body
    }

    /// The response, with the operation's documented headers.
    public func response(status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: body)
    }
}

/// A file part of a multipart request, spooled to disk as it arrived.
public struct UploadedFile: Sendable {
    /// The spool file; the handler may move it (into storage), else it is removed after the request.
    public var url: URL
    public var size: Int64
    /// SHA-256 of the bytes received, lowercase hex.
    public var sha256: String
    public var filename: String?
    public var contentType: String?

    public init(url: URL, size: Int64, sha256: String, filename: String?, contentType: String?) {
        self.url = url
        self.size = size
        self.sha256 = sha256
        self.filename = filename
        self.contentType = contentType
    }
}

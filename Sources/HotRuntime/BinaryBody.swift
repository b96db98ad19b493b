import NIOCore

/// A non-JSON response body (a build's zip).
public struct BinaryBody: Sendable {
    public var contentType: String
    public var bytes: ByteBuffer
    /// e.g. `Content-Disposition`.
    public var headers: [String: String]

    public init(contentType: String, bytes: ByteBuffer, headers: [String: String] = [:]) {
        self.contentType = contentType
        self.bytes = bytes
        self.headers = headers
    }
}

/// A file part of a multipart request.
public struct UploadedFile: Sendable {
    public var filename: String?
    public var contentType: String?
    public var bytes: ByteBuffer

    public init(filename: String?, contentType: String?, bytes: ByteBuffer) {
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
    }
}

import Hummingbird

extension BinaryBody {
    public func response(status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        for (name, value) in self.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: bytes))
    }
}

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

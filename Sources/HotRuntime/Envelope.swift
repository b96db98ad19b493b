import Foundation
import Hummingbird
import NIOCore

/// `meta` of every success envelope.
public struct ResponseMeta: Encodable, Sendable {
    public var requestId: UUID
    public var timestamp: Date

    enum CodingKeys: String, CodingKey {
        case requestId = "request_id"
        case timestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(WireUUID(requestId), forKey: .requestId)
        try container.encode(WireDate(timestamp), forKey: .timestamp)
    }
}

struct PaginationBody: Encodable {
    var total: Int
    var limit: Int
    var offset: Int
    var hasMore: Bool
    enum CodingKeys: String, CodingKey {
        case total, limit, offset
        case hasMore = "has_more"
    }
}

struct SingleEnvelope<Data: Encodable>: Encodable {
    var data: Data
    var meta: ResponseMeta
}

struct ListEnvelope<Item: Encodable>: Encodable {
    var data: [Item]
    var pagination: PaginationBody
    var meta: ResponseMeta
}

struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        var code: String
        var message: String
        var requestId: String
        enum CodingKeys: String, CodingKey {
            case code, message
            case requestId = "request_id"
        }
    }
    var error: Body
}

/// Builds responses in the seed's envelopes. Routes and middleware call it; nothing formats a
/// body by hand.
public enum Envelope {
    static func encoder() -> JSONEncoder { JSONCoding.encoder }

    /// A value as the API writes it (live stream payloads carry runs exactly as responses do).
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    static func json(_ body: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder().encode(body)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func single(_ data: some Encodable, status: HTTPResponse.Status, context: HotRequestContext, headers: HTTPFields = [:]) throws -> Response {
        try json(SingleEnvelope(data: data, meta: ResponseMeta(requestId: context.requestId, timestamp: Date())), status: status, headers: headers)
    }

    public static func list<Item: Encodable>(_ page: Page<Item>, status: HTTPResponse.Status, context: HotRequestContext, headers: HTTPFields = [:]) throws -> Response {
        let pagination = PaginationBody(total: page.total, limit: page.limit, offset: page.offset, hasMore: page.hasMore)
        return try json(ListEnvelope(data: page.items, pagination: pagination, meta: ResponseMeta(requestId: context.requestId, timestamp: Date())), status: status, headers: headers)
    }

    public static func empty(status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers)
    }

    /// A bare JSON document (no envelope): `GET /status` answers this way.
    public static func bare(_ body: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        try json(body, status: status, headers: headers)
    }

    public static func error(_ error: APIError, requestId: UUID) -> Response {
        var headers = HTTPFields()
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let body = ErrorEnvelope(error: .init(code: error.code, message: error.message, requestId: requestId.lowercased))
        // Encoding three strings cannot fail; a fallback keeps the signature non-throwing.
        return (try? json(body, status: error.status, headers: headers)) ?? Response(status: error.status, headers: headers)
    }
}

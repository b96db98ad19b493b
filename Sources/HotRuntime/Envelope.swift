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

/// Builds responses in the envelopes of the Hot API documentation. Routes and middleware call it;
/// nothing formats a body by hand.
public enum Envelope {
    static func encoder() -> JSONEncoder { JSONCoding.encoder }

    /// A value as the API writes it (live stream payloads carry runs exactly as responses do).
    public static func encode(_ value: some Encodable) throws -> Data {
        Data(try bytes(value))
    }

    /// A response of `body`'s JSON (its type known to write itself: no cast per response).
    static func json(_ body: some JSONWritable & Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try bytes(body))))
    }

    /// `body`'s JSON: written directly when it can write itself (every generated model and
    /// envelope), else by `JSONEncoder`.
    static func bytes(_ body: some Encodable) throws -> [UInt8] {
        guard let writable = body as? any JSONWritable & Encodable else { return Array(try encoder().encode(body)) }
        return try bytes(writable)
    }

    /// `body`'s JSON, written directly. Debug builds (the tests) encode it with `JSONEncoder` too
    /// and refuse a response whose bytes differ, so the fast path is held to `JSONEncoder`'s output
    /// everywhere.
    static func bytes(_ body: some JSONWritable & Encodable) throws -> [UInt8] {
        let written = JSONOutput.encode(body)
        #if DEBUG
        let reference = Array(try encoder().encode(body))
        guard written == reference else {
            throw APIError(status: .internalServerError, code: "internal_server_error",
                           message: "JSONOutput wrote \(String(decoding: written, as: UTF8.self)) where JSONEncoder writes \(String(decoding: reference, as: UTF8.self))")
        }
        #endif
        return written
    }

    public static func single(_ data: some JSONWritable & Encodable, status: HTTPResponse.Status, context: HotRequestContext, headers: HTTPFields = [:]) throws -> Response {
        try json(SingleEnvelope(data: data, meta: ResponseMeta(requestId: context.requestId, timestamp: Date())), status: status, headers: headers)
    }

    public static func list<Item: JSONWritable & Encodable>(_ page: Page<Item>, status: HTTPResponse.Status, context: HotRequestContext, headers: HTTPFields = [:]) throws -> Response {
        let pagination = PaginationBody(total: page.total, limit: page.limit, offset: page.offset, hasMore: page.hasMore)
        return try json(ListEnvelope(data: page.items, pagination: pagination, meta: ResponseMeta(requestId: context.requestId, timestamp: Date())), status: status, headers: headers)
    }

    public static func empty(status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers)
    }

    /// A bare JSON document (no envelope): `GET /status` answers this way.
    public static func bare(_ body: some JSONWritable & Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
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

extension ResponseMeta: JSONWritable {
    public func write(to json: inout JSONOutput) {
        json.beginObject()
        json.member("request_id", requestId)
        json.member("timestamp", timestamp)
        json.endObject()
    }
}

extension PaginationBody: JSONWritable {
    func write(to json: inout JSONOutput) {
        json.beginObject()
        json.member("has_more", hasMore)
        json.member("limit", limit)
        json.member("offset", offset)
        json.member("total", total)
        json.endObject()
    }
}

extension SingleEnvelope: JSONWritable where Data: JSONWritable {
    func write(to json: inout JSONOutput) {
        json.beginObject()
        json.member("data", data)
        json.member("meta", meta)
        json.endObject()
    }
}

extension ListEnvelope: JSONWritable where Item: JSONWritable {
    func write(to json: inout JSONOutput) {
        json.beginObject()
        json.member("data", data)
        json.member("meta", meta)
        json.member("pagination", pagination)
        json.endObject()
    }
}

extension ErrorEnvelope: JSONWritable {
    func write(to json: inout JSONOutput) {
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.member("code", error.code)
        json.member("message", error.message)
        json.member("request_id", error.requestId)
        json.endObject()
        json.endObject()
    }
}

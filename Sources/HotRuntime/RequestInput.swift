import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// Reads and validates the parts of a request for generated routes; every failure is a 400
/// `bad_request` that names the parameter or field.
public enum RequestInput {
    // MARK: Path

    public static func pathString(_ context: HotRequestContext, _ name: String, rule: StringRule = StringRule()) throws -> String {
        guard let raw = context.parameters.get(name) else {
            throw APIError.badRequest("Missing path parameter '\(name)'")
        }
        let value = raw.removingPercentEncoding ?? raw
        if let problem = SchemaValidator.problem(with: value, rule) {
            throw APIError.badRequest("Invalid path parameter '\(name)': \(problem)")
        }
        return value
    }

    public static func pathUUID(_ context: HotRequestContext, _ name: String) throws -> UUID {
        let text = try pathString(context, name)
        guard let uuid = UUID(uuidString: text) else {
            throw APIError.badRequest("Invalid path parameter '\(name)': must be a UUID")
        }
        return uuid
    }

    // MARK: Query

    public static func queryString(_ request: Request, _ name: String, rule: StringRule = StringRule()) throws -> String? {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        if let problem = SchemaValidator.problem(with: value, rule) {
            throw APIError.badRequest("Invalid query parameter '\(name)': \(problem)")
        }
        return value
    }

    public static func queryInt(_ request: Request, _ name: String, minimum: Int64? = nil, maximum: Int64? = nil) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), let int = Int(exactly: value) else {
            throw APIError.badRequest("Invalid query parameter '\(name)': must be an integer")
        }
        if let minimum, value < minimum {
            throw APIError.badRequest("Invalid query parameter '\(name)': must be at least \(minimum)")
        }
        if let maximum, value > maximum {
            throw APIError.badRequest("Invalid query parameter '\(name)': must be at most \(maximum)")
        }
        return int
    }

    public static func queryUUID(_ request: Request, _ name: String) throws -> UUID? {
        guard let text = try queryString(request, name) else { return nil }
        guard let uuid = UUID(uuidString: text) else {
            throw APIError.badRequest("Invalid query parameter '\(name)': must be a UUID")
        }
        return uuid
    }

    public static func queryBool(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("Invalid query parameter '\(name)': must be true or false")
        }
    }

    // MARK: Body

    /// Collects the body (up to the context's upload limit), parses it as JSON and validates it.
    public static func jsonBody(_ request: Request, context: HotRequestContext, rule: SchemaRule, validator: SchemaValidator) async throws -> JSONValue {
        try require(try await optionalJSONBody(request, context: context, rule: rule, validator: validator), "request body")
    }

    /// Like `jsonBody`, but an empty body is nil.
    public static func optionalJSONBody(_ request: Request, context: HotRequestContext, rule: SchemaRule, validator: SchemaValidator) async throws -> JSONValue? {
        let buffer = try await collect(request, context: context, limit: maximumJSONBody)
        guard buffer.readableBytes > 0 else { return nil }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(buffer: buffer))
        } catch {
            throw APIError.badRequest("Request body is not valid JSON")
        }
        try validator.validate(value, against: rule)
        return value
    }

    /// A required input, or 400 naming it.
    public static func require<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw APIError.badRequest("Missing \(what)") }
        return value
    }

    /// Decodes a validated JSON value into its generated model.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: value.serialized())
        } catch {
            throw APIError.badRequest("Request body does not match the schema: \(error)")
        }
    }

    /// The parts of a `multipart/form-data` body, by field name.
    public static func multipart(_ request: Request, context: HotRequestContext) async throws -> MultipartForm {
        guard let contentType = request.headers[.contentType],
              contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundary = boundary(of: contentType)
        else {
            throw APIError.badRequest("Expected a multipart/form-data body with a boundary")
        }
        let buffer = try await collect(request, context: context)
        return try MultipartForm.parse(buffer, boundary: boundary)
    }

    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// The largest JSON body read (as axum's default); only uploads may use the context's larger limit.
    public static let maximumJSONBody = 2 * 1024 * 1024

    static func collect(_ request: Request, context: HotRequestContext, limit: Int? = nil) async throws -> ByteBuffer {
        let limit = limit ?? context.maxUploadSize
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(status: .contentTooLarge, code: "bad_request", message: "Request body is larger than \(limit) bytes")
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, code: "bad_request", message: "Request body is larger than \(limit) bytes")
        }
    }
}

/// A parsed `multipart/form-data` body.
public struct MultipartForm: Sendable {
    public var parts: [MultipartPart]

    public static func parse(_ buffer: ByteBuffer, boundary: String) throws -> MultipartForm {
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var body = ByteBuffer()
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: body))
            headers = HTTPHeaders()
            body = ByteBuffer()
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw APIError.badRequest("Malformed multipart body")
        }
        return MultipartForm(parts: parts)
    }

    public func file(_ name: String) -> UploadedFile? {
        guard let part = parts.first(where: { $0.name == name }) else { return nil }
        let disposition = part.headers.first(name: "Content-Disposition") ?? ""
        let filename = disposition.split(separator: ";").lazy
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("filename=") }
            .map { String($0.dropFirst("filename=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return UploadedFile(filename: filename, contentType: part.headers.first(name: "Content-Type"), bytes: part.body)
    }

    public func string(_ name: String, rule: StringRule = StringRule()) throws -> String? {
        guard let part = parts.first(where: { $0.name == name }) else { return nil }
        let text = String(buffer: part.body)
        if let problem = SchemaValidator.problem(with: text, rule) {
            throw APIError.badRequest("Invalid form field '\(name)': \(problem)")
        }
        return text
    }

    public func uuid(_ name: String) throws -> UUID? {
        guard let text = try string(name) else { return nil }
        guard let uuid = UUID(uuidString: text) else {
            throw APIError.badRequest("Invalid form field '\(name)': must be a UUID")
        }
        return uuid
    }
}

import Foundation
import Hummingbird
import NIOCore

/// Reads and validates the parts of a request for generated routes; every failure is a 400
/// `bad_request` that names the parameter or field.
public enum RequestInput {
    // MARK: Path

    public static func pathString(_ context: HotRequestContext, _ name: String, rule: StringRule = StringRule()) throws -> String {
        try pathValue(context.parameters.get(name), name, rule: rule)
    }

    /// The rest of the path after the route's fixed segments (a `**` route): slashes kept, each
    /// segment percent-decoded, so `a/b` and `a%2Fb` are the same value.
    public static func pathRest(_ context: HotRequestContext, _ name: String, rule: StringRule = StringRule()) throws -> String {
        let raw = context.parameters[Parameters.recursiveCaptureKey].map(String.init)
        return try pathValue(raw?.isEmpty == false ? raw : nil, name, rule: rule)
    }

    /// A path parameter's raw text, percent-decoded and checked against its schema.
    static func pathValue(_ raw: String?, _ name: String, rule: StringRule) throws -> String {
        guard let raw else {
            throw APIError.badRequest("Missing path parameter '\(name)'")
        }
        guard let value = PercentDecoding.decode(raw) else {
            throw APIError.badRequest("Invalid path parameter '\(name)': not valid percent-encoded UTF-8")
        }
        if let problem = SchemaValidator.problem(with: value, rule) {
            throw APIError.badRequest("Invalid path parameter '\(name)': \(problem)")
        }
        return value
    }

    public static func pathInt(_ context: HotRequestContext, _ name: String, minimum: Int64? = nil, maximum: Int64? = nil) throws -> Int {
        try integer(try pathString(context, name), "path parameter '\(name)'", minimum: minimum, maximum: maximum)
    }

    /// Whole-number text within its bounds, or a 400 naming the input (`what`).
    static func integer(_ text: String, _ what: String, minimum: Int64?, maximum: Int64?) throws -> Int {
        guard let value = Int64(text), let int = Int(exactly: value) else {
            throw APIError.badRequest("Invalid \(what): must be an integer")
        }
        if let minimum, value < minimum {
            throw APIError.badRequest("Invalid \(what): must be at least \(minimum)")
        }
        if let maximum, value > maximum {
            throw APIError.badRequest("Invalid \(what): must be at most \(maximum)")
        }
        return int
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

    /// A header's value (the first, when repeated), checked against its schema; present but
    /// empty is a value like any other, so a pattern refuses it (400).
    public static func headerString(_ request: Request, _ name: String, rule: StringRule = StringRule()) throws -> String? {
        guard let field = HTTPField.Name(name), let value = request.headers[field] else { return nil }
        if let problem = SchemaValidator.problem(with: value, rule) {
            throw APIError.badRequest("Invalid header '\(name)': \(problem)")
        }
        return value
    }

    public static func queryInt(_ request: Request, _ name: String, minimum: Int64? = nil, maximum: Int64? = nil) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        return try integer(text.trimmingCharacters(in: .whitespaces), "query parameter '\(name)'", minimum: minimum, maximum: maximum)
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
        try requireContentType(request, "application/json")
        let buffer = try await collect(request, context: context, limit: maximumJSONBody)
        guard buffer.readableBytes > 0 else { return nil }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(buffer: buffer))
        } catch {
            throw APIError.badRequest("Request body is not valid JSON")
        }
        // Free-form values (metadata, event data) too: PostgreSQL stores no NUL character.
        if let field = value.pathOfFirstNUL() {
            throw APIError.badRequest("Invalid field '\(field)': must not contain a NUL character")
        }
        try validator.validate(value, against: rule)
        return value
    }

    /// A required input, or 400 naming it.
    public static func require<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw APIError.badRequest("Missing \(what)") }
        return value
    }

    /// Decodes a validated JSON value into its generated model (from the value itself: the body's
    /// text is parsed once).
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        do {
            return try JSONValueDecoder.decode(T.self, from: value)
        } catch {
            throw APIError.badRequest("Request body does not match the schema: \(error)")
        }
    }

    /// 415 unless the body's Content-Type is `expected` (parameters aside; `+json` types count as
    /// JSON). A body without a Content-Type is taken for what the operation expects.
    public static func requireContentType(_ request: Request, _ expected: String) throws {
        guard let header = request.headers[.contentType] else { return }
        let mediaType = header.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if mediaType == expected { return }
        if expected == "application/json", mediaType.hasPrefix("application/"), mediaType.hasSuffix("+json") { return }
        let shown = String(header.prefix(100))
        throw APIError(status: .unsupportedMediaType, code: "bad_request", message: "Unsupported Content-Type '\(shown)': send \(expected)")
    }

    /// The largest JSON body read (as axum's default); only uploads may use the context's larger limit.
    public static let maximumJSONBody = 2 * 1024 * 1024

    static func collect(_ request: Request, context: HotRequestContext, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        }
    }

    /// 413 in the error envelope (HotUploads answers an upload over its limit with it too).
    package static func tooLarge(_ limit: some BinaryInteger) -> APIError {
        APIError(status: .contentTooLarge, code: "bad_request", message: "Request body is larger than \(limit) bytes")
    }
}

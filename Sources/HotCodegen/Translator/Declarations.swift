/// Layer 2's output: a small structured description of the Swift declarations to write.
/// Nothing here knows OpenAPI; nothing here knows Swift syntax beyond names and types.

/// A Swift type as the models use it.
indirect enum SwiftType: Equatable {
    case named(String)
    case string
    case uuid
    case date
    case int
    case double
    case bool
    case json
    case array(SwiftType)
    case dictionary(SwiftType)
    case optional(SwiftType)

    var rendered: String {
        switch self {
        case .named(let name): name
        case .string: "String"
        case .uuid: "UUID"
        case .date: "Date"
        case .int: "Int"
        case .double: "Double"
        case .bool: "Bool"
        case .json: "JSONValue"
        case .array(let element): "[\(element.rendered)]"
        case .dictionary(let value): "[String: \(value.rendered)]"
        case .optional(let wrapped): "\(wrapped.rendered)?"
        }
    }

    var isOptional: Bool {
        if case .optional = self { return true }
        return false
    }

    var unwrapped: SwiftType {
        if case .optional(let wrapped) = self { return wrapped }
        return self
    }
}

/// Mirrors HotRuntime's `SchemaRule`; rendered as a Swift expression that builds one.
indirect enum RuleDecl: Equatable {
    case any
    case null
    case boolean
    case integer(minimum: Int?, maximum: Int?)
    case number(minimum: Double?, maximum: Double?)
    case string(StringRuleDecl)
    case array(items: RuleDecl, minItems: Int?, maxItems: Int?)
    /// `propertyNames`: the rule every key of the object must meet; `patternProperties`: the rules of
    /// the keys (not among `properties`) that match each pattern, which `additional` does not cover.
    case object(properties: [(name: String, rule: RuleDecl)], required: [String], additional: AdditionalDecl, propertyNames: StringRuleDecl? = nil,
                patternProperties: [(pattern: String, rule: RuleDecl)] = [])
    case ref(String)
    case nullable(RuleDecl)
    /// `x-hot-check: NAME`: the hand-written `SchemaCheck.NAME` runs first and its message, in the
    /// API documentation's words, wins over the keywords' (which still apply after it).
    case checked(String, RuleDecl)

    static func == (lhs: RuleDecl, rhs: RuleDecl) -> Bool {
        String(describing: lhs) == String(describing: rhs)
    }
}

enum AdditionalDecl: Equatable {
    case allowed
    case forbidden
    case schema(RuleDecl)
}

struct StringRuleDecl: Equatable {
    var format: String?
    var allowedValues: [String]?
    var minLength: Int?
    var maxLength: Int?
    var pattern: String?
}

/// A schema's `default`: the value generated code uses when the input leaves it out.
enum DefaultValue: Equatable {
    case int(Int)
    case bool(Bool)
    case string(String)
}

struct PropertyDecl: Equatable {
    var jsonName: String
    var swiftName: String
    /// Optional when the property is not required or is nullable (and has no default).
    var type: SwiftType
    /// Required and nullable: written as `null` rather than left out.
    var encodesNull: Bool
    var doc: String?
    /// The spec's `default`: decoded in place of an absent value (so `type` is not optional).
    var defaultValue: DefaultValue? = nil
}

struct StructDecl: Equatable {
    var name: String
    var doc: String?
    var properties: [PropertyDecl]
}

struct StringEnumDecl: Equatable {
    var name: String
    var doc: String?
    var cases: [(swiftName: String, rawValue: String)]

    static func == (lhs: StringEnumDecl, rhs: StringEnumDecl) -> Bool {
        lhs.name == rhs.name && lhs.doc == rhs.doc && lhs.cases.map(\.rawValue) == rhs.cases.map(\.rawValue)
    }
}

enum TypeDecl: Equatable {
    case structure(StructDecl)
    case stringEnum(StringEnumDecl)
    /// A component schema that is a plain type (`{}`, a string, an array …).
    case alias(name: String, type: SwiftType, doc: String?)

    var name: String {
        switch self {
        case .structure(let s): s.name
        case .stringEnum(let e): e.name
        case .alias(let name, _, _): name
        }
    }
}

enum ParameterLocation: String {
    case path, query, header
}

struct ParameterDecl: Equatable {
    var name: String
    var swiftName: String
    var location: ParameterLocation
    /// Without the optional: `.string`, `.uuid`, `.int`, `.bool` or `.named(enum)`.
    var type: SwiftType
    var required: Bool
    var stringRule: StringRuleDecl?
    var minimum: Int?
    var maximum: Int?
    var doc: String?
    /// The spec's `default`: the route reads it for an absent parameter, so the input is not optional.
    var defaultValue: DefaultValue? = nil
    /// `x-hot-rest-of-path`: the last path parameter takes every segment after it (`**` on the router),
    /// so a value may hold slashes, sent raw or as `%2F`.
    var restOfPath = false

    /// Whether the handler always gets a value.
    var alwaysPresent: Bool { required || defaultValue != nil }
}

struct MultipartFieldDecl: Equatable {
    enum Kind: Equatable {
        case file
        case string(StringRuleDecl)
        case uuid
    }
    var name: String
    var swiftName: String
    var kind: Kind
    var required: Bool
    var doc: String?

    var isFile: Bool { kind == .file }
}

enum BodyDecl: Equatable {
    case json(type: SwiftType, rule: RuleDecl, required: Bool)
    case multipart(fields: [MultipartFieldDecl], required: Bool)
    /// `application/octet-stream` with a binary schema: the handler gets the body as it arrives
    /// (`RawBody`), whatever its Content-Type, and decides where the bytes go.
    case raw(required: Bool)
}

enum ResponsePayload: Equatable {
    /// `{data, meta}`: the handler returns `data`.
    case envelope(SwiftType)
    /// `{data: [...], pagination, meta}`: the handler returns a `Page`.
    case list(SwiftType)
    /// A JSON body without the envelope (`GET /status`).
    case bare(SwiftType)
    case empty
    case binary(contentType: String)
    case eventStream
    /// The `error` envelope.
    case error
}

struct ResponseHeaderDecl: Equatable {
    var name: String
    var swiftName: String
    var doc: String?
    /// The header's schema (a string or integer rule), checked against responses in tests.
    var rule: RuleDecl?
}

struct ResponseDecl: Equatable {
    var status: Int
    var caseName: String
    var payload: ResponsePayload
    var headers: [ResponseHeaderDecl]
    var doc: String?
    /// The response body's schema (for response validation in tests).
    var rule: RuleDecl?
}

struct PermissionDecl: Equatable {
    var resource: String
    var action: String
    var mode: String
    /// Placeholders naming inputs a request may leave out (an optional query parameter or body
    /// field): the requirement applies only when they are sent. Any other placeholder must resolve.
    var mayBeAbsent: [String] = []

    var readsBody: Bool { resource.contains("{body.") }
}

struct SSEEventDecl: Equatable {
    var event: String
    /// The object component its `data` is JSON of: a generated type the server builds it through.
    var schema: String
    var doc: String?
}

struct OperationDecl: Equatable {
    var operationId: String
    /// UpperCamelCase namespace of the operation's Input/Output types.
    var typeName: String
    var method: String
    var path: String
    var summary: String?
    var doc: String?
    var parameters: [ParameterDecl]
    var body: BodyDecl?
    var responses: [ResponseDecl]
    /// The `default` response's schema: what any status `responses` does not list answers with
    /// (the error envelope). Not an `Output` case: the handler throws `APIError` for those.
    var defaultResponseRule: RuleDecl?
    var credentials: [String]
    /// All must be granted; empty when the spec says `x-hot-permission: none`.
    var permissions: [PermissionDecl]
    var sseEvents: [SSEEventDecl]
}

struct ExampleDecl: Equatable {
    var operationId: String
    var name: String
    var summary: String?
    /// Path and query parameter values (`example:` of each parameter).
    var parameters: [String: String]
    var requestContentType: String?
    /// JSON text (or the raw text of a non-JSON body).
    var requestBody: String?
    var status: Int
    var responseContentType: String?
    var responseBody: String?
}

/// Everything the renderer writes.
struct APIDescription: Equatable {
    var title: String
    var version: String
    var types: [TypeDecl]
    /// Component schema name → rule.
    var schemaRules: [(name: String, rule: RuleDecl)]
    var operations: [OperationDecl]
    var examples: [ExampleDecl]

    /// Some operation takes a multipart body: the generated code then uses HotUploads
    /// (`UploadPolicy`, `UploadedFile`, `MultipartUpload`).
    var takesUploads: Bool {
        operations.contains { if case .multipart? = $0.body { true } else { false } }
    }

    static func == (lhs: APIDescription, rhs: APIDescription) -> Bool {
        lhs.types == rhs.types && lhs.operations == rhs.operations && lhs.examples == rhs.examples
            && lhs.schemaRules.map(\.name) == rhs.schemaRules.map(\.name)
            && lhs.schemaRules.map(\.rule) == rhs.schemaRules.map(\.rule)
    }
}

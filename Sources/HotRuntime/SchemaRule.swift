/// A JSON Schema, reduced to the keywords the spec uses. The generator writes one per component
/// schema, request body and parameter; `SchemaValidator` checks values against them.
public indirect enum SchemaRule: Sendable, Equatable {
    /// `{}`: any JSON value.
    case any
    case null
    case boolean
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    case number(minimum: Double? = nil, maximum: Double? = nil)
    case string(StringRule)
    case array(items: SchemaRule, minItems: Int? = nil, maxItems: Int? = nil)
    case object(ObjectRule)
    /// `$ref: '#/components/schemas/NAME'`, resolved through the validator's registry.
    case ref(String)
    /// `type: [X, "null"]`.
    case nullable(SchemaRule)
    /// `x-hot-check`: a hand-written check runs first; when it finds a problem, its message (in the
    /// API documentation's words) is the answer, else the keywords' rule applies.
    case checked(SchemaCheck, SchemaRule)

    public static let plainString = SchemaRule.string(StringRule())
}

public struct StringRule: Sendable, Equatable {
    public enum Format: String, Sendable {
        case uuid
        case dateTime = "date-time"
        case binary
    }

    public var format: Format?
    public var allowedValues: [String]?
    public var minLength: Int?
    public var maxLength: Int?
    public var pattern: String?

    public init(format: Format? = nil, allowedValues: [String]? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil) {
        self.format = format
        self.allowedValues = allowedValues
        self.minLength = minLength
        self.maxLength = maxLength
        self.pattern = pattern
    }
}

public struct ObjectRule: Sendable, Equatable {
    public enum Additional: Sendable, Equatable {
        case allowed
        case forbidden
        case schema(SchemaRule)
    }

    /// In declaration order, so the first failing field reported is stable.
    public var properties: [(name: String, rule: SchemaRule)]
    public var required: [String]
    public var additional: Additional
    /// `propertyNames`: what every key of the object must be.
    public var propertyNames: StringRule?
    /// `patternProperties`: the rule of every value whose key (not among `properties`) matches the
    /// pattern; `additional` covers only the keys no pattern matches.
    public var patternProperties: [(pattern: String, rule: SchemaRule)]

    public init(
        properties: [(name: String, rule: SchemaRule)] = [], required: [String] = [], additional: Additional = .allowed,
        propertyNames: StringRule? = nil, patternProperties: [(pattern: String, rule: SchemaRule)] = []
    ) {
        self.properties = properties
        self.required = required
        self.additional = additional
        self.propertyNames = propertyNames
        self.patternProperties = patternProperties
    }

    public static func == (lhs: ObjectRule, rhs: ObjectRule) -> Bool {
        lhs.properties.map(\.name) == rhs.properties.map(\.name)
            && lhs.properties.map(\.rule) == rhs.properties.map(\.rule)
            && lhs.required == rhs.required && lhs.additional == rhs.additional && lhs.propertyNames == rhs.propertyNames
            && lhs.patternProperties.map(\.pattern) == rhs.patternProperties.map(\.pattern)
            && lhs.patternProperties.map(\.rule) == rhs.patternProperties.map(\.rule)
    }
}

/// A rule no JSON Schema keyword can say in the API documentation's words, named by a schema's
/// `x-hot-check` (the generated validators refer to these by name, so an unknown name does not
/// compile). `problem` answers the whole client-facing message, or nil when the value passes.
public struct SchemaCheck: Sendable, Equatable {
    public let name: String
    public let problem: @Sendable (JSONValue) -> String?

    public init(name: String, problem: @escaping @Sendable (JSONValue) -> String?) {
        self.name = name
        self.problem = problem
    }

    public static func == (lhs: SchemaCheck, rhs: SchemaCheck) -> Bool { lhs.name == rhs.name }

    /// A permission map (`#/components/schemas/Permissions`): the rules of `PermissionRules`.
    public static let permissions = SchemaCheck(name: "permissions", problem: PermissionRules.problem(in:))

    /// A custom domain's name: what `DomainName.normalize` refuses, in its words (the schema's
    /// pattern cannot say which rule a name breaks).
    public static let domain = SchemaCheck(name: "domain") { value in
        guard case .string(let text) = value else { return nil }
        do throws(DomainName.Invalid) {
            _ = try DomainName.normalize(text)
            return nil
        } catch {
            return error.description
        }
    }
}

import Foundation
import HotRuntime

/// An MCP tool's `input_schema`, compiled into the rules the API's own validators use
/// (`SchemaRule`, checked by `SchemaValidator`), so a tool's arguments are checked exactly as a
/// request body is. Only the JSON Schema keywords those rules can enforce are taken; any other
/// assertion refuses the upload, naming it (docs/calls.md lists what is taken).
enum ToolSchema {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    /// Keywords that assert nothing (2020-12 annotations), taken and ignored. `format` is one too,
    /// but for `uuid` and `date-time`, which are checked.
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "format",
    ]
    static let keywords: [String: Set<String>] = [
        "object": ["properties", "required", "additionalProperties", "patternProperties", "propertyNames"],
        "array": ["items", "minItems", "maxItems"],
        "string": ["minLength", "maxLength", "pattern", "enum"],
        "integer": ["minimum", "maximum"],
        "number": ["minimum", "maximum"],
        "boolean": [],
        "null": [],
    ]
    static let maximumDepth = 32

    /// The rule of a tool's whole input schema: an object schema (MCP's `inputSchema` is one).
    static func rule(_ schema: JSONValue) throws(Unsupported) -> SchemaRule {
        let rule = try rule(schema, at: "input_schema", depth: 0)
        guard case .object = rule else {
            throw Unsupported(description: "input_schema must have type \"object\" (MCP tools take an object of arguments)")
        }
        return rule
    }

    static func rule(_ schema: JSONValue, at path: String, depth: Int) throws(Unsupported) -> SchemaRule {
        guard depth < maximumDepth else { throw Unsupported(description: "\(path) nests deeper than \(maximumDepth) schemas") }
        switch schema {
        case .bool(true): return .any
        case .bool(false): throw Unsupported(description: "\(path) is the schema false, which no value fits")
        case .object: break
        default: throw Unsupported(description: "\(path) must be a JSON Schema object")
        }
        let fields = schema.objectValue ?? [:]
        var nullable = false
        let type: String?
        switch fields["type"] {
        case nil: type = nil
        case .string(let name)?: type = name
        case .array(let names)? where names.count == 2 && names.contains(.string("null")):
            nullable = true
            type = names.compactMap(\.stringValue).first { $0 != "null" }
        default:
            throw Unsupported(description: "\(path).type must be a type name, or [name, \"null\"]")
        }
        if let type, keywords[type] == nil {
            throw Unsupported(description: "\(path).type '\(type)' is not a JSON Schema type")
        }
        for key in fields.keys.sorted() where key != "type" && !annotations.contains(key) {
            guard let type else {
                throw Unsupported(description: "\(path) uses '\(key)' without a type: give it a type (only typed schemas are checked)")
            }
            guard keywords[type]!.contains(key) else {
                throw Unsupported(description: "\(path) uses '\(key)', which hot-server cannot check on a \(type); "
                                  + "supported: \((keywords[type]!.sorted()).joined(separator: ", "))")
            }
        }
        let rule: SchemaRule
        switch type {
        case nil: rule = .any
        case "null": rule = .null
        case "boolean": rule = .boolean
        case "integer":
            rule = .integer(minimum: try integer(fields["minimum"], "\(path).minimum"), maximum: try integer(fields["maximum"], "\(path).maximum"))
        case "number":
            rule = .number(minimum: try number(fields["minimum"], "\(path).minimum"), maximum: try number(fields["maximum"], "\(path).maximum"))
        case "string": rule = .string(try string(fields, at: path))
        case "array":
            let items = try fields["items"].map { (item) throws(Unsupported) in try self.rule(item, at: "\(path).items", depth: depth + 1) } ?? .any
            rule = .array(items: items, minItems: try count(fields["minItems"], "\(path).minItems"), maxItems: try count(fields["maxItems"], "\(path).maxItems"))
        default: rule = .object(try object(fields, at: path, depth: depth))
        }
        return nullable ? .nullable(rule) : rule
    }

    private static func object(_ fields: [String: JSONValue], at path: String, depth: Int) throws(Unsupported) -> ObjectRule {
        var properties: [(name: String, rule: SchemaRule)] = []
        if let value = fields["properties"] {
            guard let members = value.objectValue else { throw Unsupported(description: "\(path).properties must be an object") }
            for name in members.keys.sorted() {
                properties.append((name, try rule(members[name]!, at: "\(path).properties.\(name)", depth: depth + 1)))
            }
        }
        var required: [String] = []
        if let value = fields["required"] {
            guard case .array(let names) = value, names.allSatisfy({ $0.stringValue != nil }) else {
                throw Unsupported(description: "\(path).required must be an array of property names")
            }
            required = names.compactMap(\.stringValue)
        }
        let additional: ObjectRule.Additional
        switch fields["additionalProperties"] {
        case nil, .bool(true)?: additional = .allowed
        case .bool(false)?: additional = .forbidden
        case let schema?: additional = .schema(try rule(schema, at: "\(path).additionalProperties", depth: depth + 1))
        }
        var patternProperties: [(pattern: String, rule: SchemaRule)] = []
        if let value = fields["patternProperties"] {
            guard let members = value.objectValue else { throw Unsupported(description: "\(path).patternProperties must be an object") }
            for pattern in members.keys.sorted() {
                try checkPattern(pattern, "\(path).patternProperties")
                patternProperties.append((pattern, try rule(members[pattern]!, at: "\(path).patternProperties.\(pattern)", depth: depth + 1)))
            }
        }
        var propertyNames: StringRule?
        if let value = fields["propertyNames"] {
            guard let names = value.objectValue, names["type"] == nil || names["type"] == .string("string") else {
                throw Unsupported(description: "\(path).propertyNames must be a string schema")
            }
            for key in names.keys where key != "type" && !annotations.contains(key) && !keywords["string"]!.contains(key) {
                throw Unsupported(description: "\(path).propertyNames uses '\(key)', which hot-server cannot check")
            }
            propertyNames = try string(names, at: "\(path).propertyNames")
        }
        return ObjectRule(properties: properties, required: required, additional: additional, propertyNames: propertyNames,
                          patternProperties: patternProperties)
    }

    private static func string(_ fields: [String: JSONValue], at path: String) throws(Unsupported) -> StringRule {
        var rule = StringRule(minLength: try count(fields["minLength"], "\(path).minLength"), maxLength: try count(fields["maxLength"], "\(path).maxLength"))
        switch fields["format"] {
        case .string("uuid")?: rule.format = .uuid
        case .string("date-time")?: rule.format = .dateTime
        default: break
        }
        if let value = fields["pattern"] {
            guard case .string(let pattern) = value else { throw Unsupported(description: "\(path).pattern must be a string") }
            try checkPattern(pattern, "\(path).pattern")
            rule.pattern = pattern
        }
        if let value = fields["enum"] {
            guard case .array(let options) = value, !options.isEmpty, options.allSatisfy({ $0.stringValue != nil }) else {
                throw Unsupported(description: "\(path).enum must be a non-empty array of strings")
            }
            rule.allowedValues = options.compactMap(\.stringValue)
        }
        return rule
    }

    private static func checkPattern(_ pattern: String, _ path: String) throws(Unsupported) {
        guard (try? NSRegularExpression(pattern: pattern)) != nil else {
            throw Unsupported(description: "\(path) '\(pattern)' is not a regular expression hot-server can compile")
        }
    }

    private static func count(_ value: JSONValue?, _ path: String) throws(Unsupported) -> Int? {
        guard let value else { return nil }
        guard case .int(let number) = value, number >= 0, number <= Int64(Int32.max) else {
            throw Unsupported(description: "\(path) must be a whole number from 0")
        }
        return Int(number)
    }

    private static func integer(_ value: JSONValue?, _ path: String) throws(Unsupported) -> Int64? {
        switch value {
        case nil: return nil
        case .int(let number)?: return number
        default: throw Unsupported(description: "\(path) must be a whole number on an integer")
        }
    }

    private static func number(_ value: JSONValue?, _ path: String) throws(Unsupported) -> Double? {
        switch value {
        case nil: return nil
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        default: throw Unsupported(description: "\(path) must be a number")
        }
    }
}

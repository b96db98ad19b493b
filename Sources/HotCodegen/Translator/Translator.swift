import Foundation
import OpenAPIKit

/// Layer 2: an OpenAPI document → `APIDescription`, the declarations to generate.
struct Translator {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    let document: OpenAPI.Document
    /// Object schemas declared inline (nested in a property or a body) become named types too.
    private var inlineTypes: [TypeDecl] = []

    init(document: OpenAPI.Document) {
        self.document = document
    }

    var components: OpenAPI.Components { document.components }

    mutating func translate() throws -> APIDescription {
        var types: [TypeDecl] = []
        var rules: [(name: String, rule: RuleDecl)] = []
        for (key, schema) in components.schemas {
            let name = key.rawValue
            types.append(try typeDecl(name: name, schema: schema))
            rules.append((name, try rule(for: schema)))
        }
        var operations: [OperationDecl] = []
        var examples: [ExampleDecl] = []
        for (path, item) in document.paths {
            guard let pathItem = item.b else { throw Unsupported(description: "path \(path.rawValue): $ref path items are not supported") }
            for endpoint in pathItem.endpoints {
                let (operation, operationExamples) = try translate(endpoint.operation, method: endpoint.method.rawValue, path: path.rawValue, pathParameters: pathItem.parameters)
                operations.append(operation)
                examples += operationExamples
            }
        }
        // A feed event's type names its event (LiveEvent.event): one name per schema.
        var eventOfSchema: [String: String] = [:]
        for event in operations.flatMap(\.sseEvents) {
            if let other = eventOfSchema[event.schema], other != event.event {
                throw Unsupported(description: "\(event.schema) is the data of two SSE events, \(other) and \(event.event): give each its own schema")
            }
            eventOfSchema[event.schema] = event.event
        }
        var seen = Set<String>()
        for type in types + inlineTypes where !seen.insert(type.name).inserted {
            throw Unsupported(description: "two schemas would both generate the type \(type.name); rename one")
        }
        return APIDescription(
            title: document.info.title,
            version: document.info.version,
            types: Self.usedTypes(types + inlineTypes, by: operations),
            schemaRules: rules,
            operations: operations,
            examples: examples
        )
    }

    /// The types some operation's Swift code uses (its parameters, body and response payloads, its
    /// feed's events) and the types those use, in declaration order. A component schema that only
    /// describes the wire (an envelope, the error body, an SSE frame) has a validation rule, not a
    /// Swift type nobody uses.
    static func usedTypes(_ types: [TypeDecl], by operations: [OperationDecl]) -> [TypeDecl] {
        let byName = Dictionary(types.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var used = Set<String>()
        var pending: [SwiftType] = []
        for operation in operations {
            pending += operation.parameters.map(\.type)
            if case .json(let type, _, _)? = operation.body { pending.append(type) }
            // A feed's events are built through their types (LiveEvent).
            pending += operation.sseEvents.map { .named($0.schema) }
            for response in operation.responses {
                switch response.payload {
                case .envelope(let type), .list(let type), .bare(let type): pending.append(type)
                default: break
                }
            }
        }
        while let type = pending.popLast() {
            switch type {
            case .named(let name):
                guard used.insert(name).inserted, let decl = byName[name] else { continue }
                switch decl {
                case .structure(let structure): pending += structure.properties.map(\.type)
                case .alias(_, let aliased, _): pending.append(aliased)
                case .stringEnum: break
                }
            case .array(let element), .dictionary(let element), .optional(let element):
                pending.append(element)
            default:
                break
            }
        }
        return types.filter { used.contains($0.name) }
    }

    // MARK: Schemas → types

    private mutating func typeDecl(name: String, schema: JSONSchema) throws -> TypeDecl {
        switch schema.value {
        case .object(_, let object) where !object.properties.isEmpty:
            return .structure(try structDecl(name: name, doc: schema.description, object: object))
        case .string(let core, _) where core.allowedValues != nil:
            let values = (core.allowedValues ?? []).compactMap { $0.value as? String }
            let cases = values.map { (swiftName: Naming.lowerCamel($0), rawValue: $0) }
            if Set(cases.map(\.swiftName)).count != cases.count {
                throw Unsupported(description: "\(name): enum values \(values) give two cases the same Swift name")
            }
            return .stringEnum(StringEnumDecl(name: name, doc: schema.description, cases: cases))
        default:
            return .alias(name: name, type: try swiftType(schema, hint: name), doc: schema.description)
        }
    }

    private mutating func structDecl(name: String, doc: String?, object: JSONSchema.ObjectContext) throws -> StructDecl {
        var properties: [PropertyDecl] = []
        for (jsonName, propertySchema) in object.properties {
            let type = try swiftType(propertySchema, hint: name + Naming.upperCamel(jsonName))
            let required = object.requiredProperties.contains(jsonName)
            let nullable = type.isOptional || type == .json
            let defaultValue = try self.defaultValue(propertySchema, type: type, at: "\(name).\(jsonName)")
            properties.append(PropertyDecl(
                jsonName: jsonName,
                swiftName: Naming.lowerCamel(jsonName),
                type: required || type.isOptional || defaultValue != nil ? type : .optional(type),
                encodesNull: required && nullable,
                doc: propertySchema.description,
                defaultValue: defaultValue
            ))
        }
        return StructDecl(name: name, doc: doc, properties: properties)
    }

    /// The Swift type of a schema; `hint` names an inline object's generated struct.
    mutating func swiftType(_ schema: JSONSchema, hint: String) throws -> SwiftType {
        let base: SwiftType
        switch schema.value {
        case .reference(let reference, _):
            base = .named(try componentName(reference))
        case .one(let alternatives, _):
            let nonNull = alternatives.filter { !$0.isNull }
            guard alternatives.count == 2, nonNull.count == 1 else {
                throw Unsupported(description: "\(hint): oneOf is only supported as [X, null]")
            }
            return .optional(try swiftType(nonNull[0], hint: hint).unwrapped)
        case .string(let core, _):
            switch core.formatString {
            case "uuid": base = .uuid
            case "date-time": base = .date
            default: base = .string
            }
        case .integer:
            base = .int
        case .number:
            base = .double
        case .boolean:
            base = .bool
        case .array(_, let array):
            base = .array(try array.items.map { try swiftType($0, hint: hint + "Item") } ?? .json)
        case .object(_, let object):
            if object.properties.isEmpty {
                switch object.additionalProperties {
                case .b(let valueSchema)?: base = .dictionary(try swiftType(valueSchema, hint: hint + "Value"))
                default: base = .dictionary(.json)
                }
            } else {
                // A name taken twice is caught when the description is assembled.
                inlineTypes.append(.structure(try structDecl(name: hint, doc: schema.description, object: object)))
                base = .named(hint)
            }
        case .fragment, .null:
            return .json
        case .all, .any, .not:
            throw Unsupported(description: "\(hint): allOf/anyOf/not are not supported (see spec/CONVENTIONS.md)")
        }
        return schema.nullable ? .optional(base) : base
    }

    /// A schema's `default` as the Swift type's value (`SpecCoverage` allowed it only where it is applied).
    func defaultValue(_ schema: JSONSchema, type: SwiftType, at place: String) throws -> DefaultValue? {
        guard let raw = schema.defaultValue?.value else { return nil }
        let value: DefaultValue?
        switch type {
        case .int: value = (raw as? Int).map(DefaultValue.int)
        case .bool: value = (raw as? Bool).map(DefaultValue.bool)
        case .string: value = (raw as? String).map(DefaultValue.string)
        default: value = nil
        }
        guard let value else {
            throw Unsupported(description: "\(place): default \(raw) is not supported for \(type.rendered)")
        }
        // A default the schema's own rule refuses would be a contract that contradicts itself.
        switch (value, try rule(for: schema)) {
        case (.int(let number), .integer(let minimum, let maximum)):
            if let minimum, number < minimum { throw Unsupported(description: "\(place): default \(number) is below the minimum \(minimum)") }
            if let maximum, number > maximum { throw Unsupported(description: "\(place): default \(number) is above the maximum \(maximum)") }
        case (.string(let text), .string(let rule)):
            if let allowed = rule.allowedValues, !allowed.contains(text) { throw Unsupported(description: "\(place): default \(text) is not one of the enum's values") }
        default: break
        }
        return value
    }

    private func componentName(_ reference: JSONReference<JSONSchema>) throws -> String {
        guard let name = reference.name, reference.isInternal else {
            throw Unsupported(description: "only #/components/schemas references are supported: \(reference.absoluteString)")
        }
        return name
    }

    /// The schema a reference points at (one level; components are named, so no cycles are followed).
    func resolved(_ schema: JSONSchema) throws -> JSONSchema {
        if case .reference(let reference, _) = schema.value {
            guard let target = components[reference] else {
                throw Unsupported(description: "unresolvable reference \(reference.absoluteString)")
            }
            return try resolved(target)
        }
        return schema
    }

    // MARK: Schemas → validation rules

    func rule(for schema: JSONSchema) throws -> RuleDecl {
        let plain = try keywordRule(for: schema)
        guard let check = schema.vendorExtensions["x-hot-check"]?.value as? String else { return plain }
        return .checked(check, plain)
    }

    /// The rule the schema's keywords make.
    private func keywordRule(for schema: JSONSchema) throws -> RuleDecl {
        let propertyNames = try propertyNamesRule(schema)
        if propertyNames != nil, !schema.isObject {
            throw Unsupported(description: "propertyNames is supported only on object schemas")
        }
        let base: RuleDecl
        switch schema.value {
        case .reference(let reference, _):
            base = .ref(try componentName(reference))
        case .one(let alternatives, _):
            let nonNull = alternatives.filter { !$0.isNull }
            guard alternatives.count == 2, nonNull.count == 1 else {
                throw Unsupported(description: "oneOf is only supported as [X, null]")
            }
            return .nullable(try rule(for: nonNull[0]))
        case .string(let core, let string):
            let format = core.formatString.flatMap { ["uuid", "date-time", "binary"].contains($0) ? $0 : nil }
            let allowed = core.allowedValues?.compactMap { $0.value as? String }
            base = .string(StringRuleDecl(
                format: format,
                allowedValues: allowed,
                minLength: string.minLength > 0 ? string.minLength : nil,
                maxLength: string.maxLength,
                pattern: string.pattern
            ))
        case .integer(_, let integer):
            base = .integer(
                minimum: integer.minimum.map { $0.exclusive ? $0.value + 1 : $0.value },
                maximum: integer.maximum.map { $0.exclusive ? $0.value - 1 : $0.value }
            )
        case .number(_, let number):
            base = .number(minimum: number.minimum?.value, maximum: number.maximum?.value)
        case .boolean:
            base = .boolean
        case .array(_, let array):
            base = .array(
                items: try array.items.map(rule(for:)) ?? .any,
                minItems: array.minItems > 0 ? array.minItems : nil,
                maxItems: array.maxItems
            )
        case .object(_, let object):
            let additional: AdditionalDecl
            switch object.additionalProperties {
            case nil, .a(true)?: additional = .allowed
            case .a(false)?: additional = .forbidden
            case .b(let valueSchema)?: additional = .schema(try rule(for: valueSchema))
            }
            base = .object(
                properties: try object.properties.map { ($0.key, try rule(for: $0.value)) },
                required: object.requiredProperties,
                additional: additional,
                propertyNames: propertyNames,
                patternProperties: try patternPropertiesRules(schema)
            )
        case .fragment:
            return .any
        case .null:
            return .null
        case .all, .any, .not:
            throw Unsupported(description: "allOf/anyOf/not are not supported (see spec/CONVENTIONS.md)")
        }
        return schema.nullable ? .nullable(base) : base
    }

    /// `patternProperties` (carried by `SchemaKeywords`): pattern → the rule of the values of the keys
    /// that match it, in the spec's order of patterns (sorted: YAML maps carry no order here).
    private func patternPropertiesRules(_ schema: JSONSchema) throws -> [(pattern: String, rule: RuleDecl)] {
        guard let extensionName = SchemaKeywords.carried["patternProperties"],
              let raw = schema.vendorExtensions[extensionName]?.value else { return [] }
        guard let map = raw as? [String: Any] else {
            throw Unsupported(description: "patternProperties must map patterns to schemas: \(raw)")
        }
        return try map.keys.sorted().map { pattern in
            // The carried value is plain data: read it back as the schema it is.
            let data = try JSONSerialization.data(withJSONObject: map[pattern]!, options: [.sortedKeys])
            return (pattern, try rule(for: try JSONDecoder().decode(JSONSchema.self, from: data)))
        }
    }

    /// `propertyNames` (carried by `SchemaKeywords`): a string schema with `pattern`, `minLength`,
    /// `maxLength`; anything else is refused rather than left unchecked.
    private func propertyNamesRule(_ schema: JSONSchema) throws -> StringRuleDecl? {
        guard let extensionName = SchemaKeywords.carried["propertyNames"],
              let raw = schema.vendorExtensions[extensionName]?.value else { return nil }
        let supported: Set<String> = ["type", "pattern", "minLength", "maxLength", "description"]
        guard let keywords = raw as? [String: Any], Set(keywords.keys).isSubset(of: supported),
              keywords["type"].map({ $0 as? String == "string" }) ?? true
        else {
            throw Unsupported(description: "propertyNames must be a string schema with only pattern, minLength, maxLength (and description): \(raw)")
        }
        func integer(_ key: String) throws -> Int? {
            guard let value = keywords[key] else { return nil }
            guard let number = value as? Int, number >= 0 else {
                throw Unsupported(description: "propertyNames \(key) must be a non-negative integer, not \(value)")
            }
            return number
        }
        let pattern = keywords["pattern"]
        guard pattern == nil || pattern is String else {
            throw Unsupported(description: "propertyNames pattern must be a string, not \(pattern!)")
        }
        let minLength = try integer("minLength")
        return StringRuleDecl(minLength: minLength.flatMap { $0 > 0 ? $0 : nil }, maxLength: try integer("maxLength"), pattern: pattern as? String)
    }
}

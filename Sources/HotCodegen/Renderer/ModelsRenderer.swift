/// Models.swift: one Codable type per schema. UUIDs and dates go through `WireUUID`/`WireDate` so the
/// wire format is the API's (lowercase ids, RFC 3339 UTC), and required-but-nullable fields are
/// written as `null`.
enum ModelsRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import Foundation")
        w.line("import HotRuntime")
        for type in api.types {
            w.line()
            switch type {
            case .structure(let decl): structure(decl, &w)
            case .stringEnum(let decl): stringEnum(decl, &w)
            case .alias(let name, let type, let doc):
                w.doc(doc)
                w.line("public typealias \(name) = \(type.rendered)")
            }
        }
        return w.text
    }

    static func stringEnum(_ decl: StringEnumDecl, _ w: inout SwiftWriter) {
        w.doc(decl.doc)
        w.block("public enum \(decl.name): String, Codable, Sendable, Hashable, CaseIterable, JSONWritable") { w in
            for item in decl.cases {
                w.line("case \(Naming.escaped(item.swiftName)) = \(Literal.string(item.rawValue))")
            }
        }
    }

    static func structure(_ decl: StructDecl, _ w: inout SwiftWriter) {
        w.doc(decl.doc)
        w.block("public struct \(decl.name): Codable, Sendable, Equatable, JSONWritable") { w in
            for property in decl.properties {
                w.doc(property.doc)
                w.line("public var \(Naming.escaped(property.swiftName)): \(property.type.rendered)")
            }
            w.line()
            let parameters = decl.properties.map { property in
                let initial = property.defaultValue.map { " = \(Literal.defaultValue($0, type: property.type))" } ?? (property.type.isOptional ? " = nil" : "")
                return "\(Naming.escaped(property.swiftName)): \(property.type.rendered)\(initial)"
            }
            w.block("public init(\(parameters.joined(separator: ", ")))") { w in
                for property in decl.properties {
                    w.line("self.\(property.swiftName) = \(Naming.escaped(property.swiftName))")
                }
            }
            w.line()
            w.block("enum CodingKeys: String, CodingKey") { w in
                for property in decl.properties {
                    w.line("case \(Naming.escaped(property.swiftName)) = \(Literal.string(property.jsonName))")
                }
            }
            w.line()
            w.block("public init(from decoder: any Decoder) throws") { w in
                w.line("let container = try decoder.container(keyedBy: CodingKeys.self)")
                for property in decl.properties {
                    let type = property.type.unwrapped
                    let method = property.type.isOptional || property.defaultValue != nil ? "decodeIfPresent" : "decode"
                    let decoded = "try container.\(method)(\(wireType(type)).self, forKey: .\(property.swiftName))"
                    var value = property.type.isOptional ? optionalFromWire(decoded, type) : fromWire(decoded, type)
                    if let defaultValue = property.defaultValue {
                        // Absent: the spec's default.
                        value = "\(optionalFromWire(decoded, type)) ?? \(Literal.defaultValue(defaultValue, type: type))"
                    }
                    w.line("self.\(property.swiftName) = \(value)")
                }
            }
            w.line()
            w.block("public func encode(to encoder: any Encoder) throws") { w in
                w.line("var container = encoder.container(keyedBy: CodingKeys.self)")
                for property in decl.properties {
                    let name = "self.\(property.swiftName)"
                    let type = property.type.unwrapped
                    if property.type.isOptional {
                        let method = property.encodesNull ? "encode" : "encodeIfPresent"
                        w.line("try container.\(method)(\(optionalToWire(name, type)), forKey: .\(property.swiftName))")
                    } else {
                        w.line("try container.encode(\(toWire(name, type)), forKey: .\(property.swiftName))")
                    }
                }
            }
            w.line()
            // The same members as `encode(to:)`, keys in the order `JSONEncoder`'s `.sortedKeys`
            // gives (by UTF-8 bytes), fixed here rather than sorted on every response.
            w.block("public func write(to json: inout JSONOutput)") { w in
                w.line("json.beginObject()")
                for property in decl.properties.sorted(by: { $0.jsonName.utf8.lexicographicallyPrecedes($1.jsonName.utf8) }) {
                    let name = "self.\(property.swiftName)"
                    if property.type.isOptional && !property.encodesNull {
                        w.line("json.member(\(Literal.string(property.jsonName)), ifPresent: \(name))")
                    } else {
                        w.line("json.member(\(Literal.string(property.jsonName)), \(name))")
                    }
                }
                w.line("json.endObject()")
            }
        }
    }

    /// The type that goes on the wire for a model type.
    static func wireType(_ type: SwiftType) -> String {
        switch type {
        case .uuid: "WireUUID"
        case .date: "WireDate"
        case .array(let element): "[\(wireType(element))]"
        case .dictionary(let value): "[String: \(wireType(value))]"
        case .optional(let wrapped): "\(wireType(wrapped))?"
        default: type.rendered
        }
    }

    static func needsWire(_ type: SwiftType) -> Bool {
        wireType(type) != type.rendered
    }

    static func toWire(_ expression: String, _ type: SwiftType) -> String {
        switch type {
        case .uuid: "WireUUID(\(expression))"
        case .date: "WireDate(\(expression))"
        case .array(let element) where needsWire(element): "\(expression).map { \(toWire("$0", element)) }"
        case .dictionary(let value) where needsWire(value): "\(expression).mapValues { \(toWire("$0", value)) }"
        case .optional(let wrapped) where needsWire(wrapped): optionalToWire(expression, wrapped)
        default: expression
        }
    }

    static func optionalToWire(_ expression: String, _ type: SwiftType) -> String {
        needsWire(type) ? "\(expression).map { \(toWire("$0", type)) }" : expression
    }

    static func fromWire(_ expression: String, _ type: SwiftType) -> String {
        switch type {
        case .uuid, .date: "\(expression).value"
        case .array(let element) where needsWire(element): "\(expression).map { \(fromWire("$0", element)) }"
        case .dictionary(let value) where needsWire(value): "\(expression).mapValues { \(fromWire("$0", value)) }"
        case .optional(let wrapped) where needsWire(wrapped): optionalFromWire(expression, wrapped)
        default: expression
        }
    }

    static func optionalFromWire(_ expression: String, _ type: SwiftType) -> String {
        needsWire(type) ? "(\(expression)).map { \(fromWire("$0", type)) }" : expression
    }
}

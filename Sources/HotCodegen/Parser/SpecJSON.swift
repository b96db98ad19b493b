import Foundation
import Yams

/// The spec as JSON (`GET /openapi.json`), made at build time from the YAML: keys sorted, no
/// whitespace. Timestamps stay strings (YAML 1.1 would make dates of unquoted ones).
enum SpecJSON {
    struct Unrepresentable: Error, CustomStringConvertible {
        var description: String
    }

    static func convert(yaml: String) throws -> String {
        let resolver = Resolver.default.removing(.timestamp)
        guard let document = try Yams.load(yaml: yaml, resolver) else { throw Unrepresentable(description: "the spec is empty") }
        let data = try JSONSerialization.data(withJSONObject: try jsonObject(document), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// YAML's values as JSONSerialization takes them: string keys, no dates or binary.
    private static func jsonObject(_ value: Any) throws -> Any {
        switch value {
        case let map as [AnyHashable: Any]:
            var object: [String: Any] = [:]
            for (key, item) in map { object["\(key.base)"] = try jsonObject(item) }
            return object
        case let list as [Any]:
            return try list.map(jsonObject)
        case is String, is Int, is Double, is Bool, is NSNull:
            return value
        default:
            throw Unrepresentable(description: "the spec holds a \(type(of: value)), which JSON cannot")
        }
    }
}

import Foundation
import OpenAPIKit
import Yams

/// Layer 1: YAML text → a typed OpenAPI 3.1 document.
enum SpecParser {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(yaml: String) throws -> OpenAPI.Document {
        do {
            return try YAMLDecoder().decode(OpenAPI.Document.self, from: yaml)
        } catch {
            throw Failure(description: "spec/openapi.yaml is not a valid OpenAPI 3.1 document: \(error)")
        }
    }
}

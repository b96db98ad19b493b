import Foundation
import OpenAPIKit
import Yams

/// Layer 1: YAML text → a typed OpenAPI 3.1 document (with `SchemaKeywords` carried over), once
/// `SpecCoverage` has found nothing in it the generator would ignore.
enum SpecParser {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(yaml: String) throws -> OpenAPI.Document {
        do {
            // The resolver YAMLDecoder uses for text: without it `'200':` keys would not decode as status codes.
            let parser = try Parser(yaml: yaml, resolver: Resolver.basic.appending(Resolver.Rule.merge))
            return try withExtendedLifetime(parser) {
                guard let node = try parser.singleRoot() else { throw Failure(description: "spec/openapi.yaml is empty") }
                try SpecCoverage.check(node)
                return try YAMLDecoder().decode(OpenAPI.Document.self, from: SchemaKeywords.carry(node))
            }
        } catch let failure as Failure {
            throw failure
        } catch let unsupported as Translator.Unsupported {
            throw unsupported
        } catch {
            throw Failure(description: "spec/openapi.yaml is not a valid OpenAPI 3.1 document: \(error)")
        }
    }
}

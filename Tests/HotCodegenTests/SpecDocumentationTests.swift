import Foundation
import Testing
import Yams

@testable import HotCodegen

/// Partners generate clients, and their documentation, from spec/openapi.yaml: every schema,
/// property, parameter and operation in it says what it is.
@Suite("Spec documentation: every schema, property, parameter and operation is described")
struct SpecDocumentationTests {
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("spec/openapi.yaml")

    @Test("spec/openapi.yaml leaves nothing undescribed")
    func specIsDescribed() throws {
        let yaml = try String(contentsOf: Self.specURL, encoding: .utf8)
        let missing = try SpecDocumentation.undescribed(yaml: yaml)
        #expect(missing.isEmpty, "without a description (add one to spec/openapi.yaml):\n\(missing.joined(separator: "\n"))")
    }

    @Test("the check names each thing without a description, wherever it sits")
    func checkFindsOffenders() throws {
        let yaml = """
            openapi: 3.1.0
            info: {title: T, version: 1.0.0}
            paths:
              /things/{id}:
                parameters:
                  - {name: id, in: path, required: true, schema: {type: string}}
                get:
                  operationId: getThing
                  description: "   "
                  parameters:
                    - {name: verbose, in: query, schema: {type: boolean}}
                    - {name: fine, in: query, description: A described one., schema: {type: boolean}}
                    - $ref: '#/components/parameters/Limit'
                  requestBody:
                    content:
                      application/json:
                        schema:
                          type: object
                          properties:
                            inline: {type: string}
                  responses:
                    '200':
                      description: OK.
                      content:
                        application/json:
                          schema: {$ref: '#/components/schemas/Thing'}
            components:
              parameters:
                Limit: {name: limit, in: query, schema: {type: integer}}
              schemas:
                Thing:
                  type: object
                  properties:
                    id: {type: string, description: The id.}
                    owner: {$ref: '#/components/schemas/Owner'}
                    tags:
                      type: array
                      description: Tags.
                      items:
                        type: object
                        properties:
                          label: {type: string}
                    nested:
                      type: object
                      description: Nested.
                      properties:
                        deep: {type: string}
                Owner:
                  type: object
                  description: An owner.
                  properties:
                    name: {type: string, description: ''}
            """
        let missing = try SpecDocumentation.undescribed(yaml: yaml)
        #expect(Set(missing) == [
            "operation getThing (GET /things/{id})",
            "parameter id (path) of /things/{id}",
            "parameter verbose (query) of getThing",
            "parameter #/components/parameters/Limit",
            "property getThing request body.inline",
            "schema Thing",
            "property Thing.owner",
            "property Thing.tags[].label",
            "property Thing.nested.deep",
            "property Owner.name",
        ])
        #expect(missing.count == 10)
    }

    @Test("a description becomes doc comment lines whatever it holds: quotes, backticks, */, colons, any line break")
    func descriptionsStayComments() {
        var writer = SwiftWriter()
        writer.doc("Ends */ here: `code` \"quoted\" 'single' \\n\rafter CR\r\nafter CRLF\nafter LF\u{2028}after LS\n\nlast")
        let lines = writer.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 7)
        #expect(lines.allSatisfy { $0 == "///" || $0.hasPrefix("/// ") }, "\(writer.text)")
        #expect(!writer.text.unicodeScalars.contains { $0 == "\r" || $0 == "\u{2028}" })
    }
}

/// What in an OpenAPI document has no non-empty `description`: component schemas, properties at
/// any depth (inside properties, array items, maps, `oneOf` branches, inline request and response
/// schemas), parameters (of components, path items and operations; a `$ref` is checked where it
/// points) and operations.
enum SpecDocumentation {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func undescribed(yaml: String) throws -> [String] {
        guard let root = try Yams.compose(yaml: yaml) else { return ["the document is empty"] }
        var missing: [String] = []

        func described(_ node: Node?) -> Bool {
            guard let text = node?["description"]?.string else { return false }
            return !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }

        /// Properties of `schema` and of every schema inside it; `place` names where it sits.
        func properties(of schema: Node?, at place: String) {
            guard let schema, schema.mapping != nil else { return }
            for (name, property) in schema["properties"]?.mapping ?? [:] {
                let path = "\(place).\(name.string ?? "?")"
                if !described(property) { missing.append("property \(path)") }
                properties(of: property, at: path)
            }
            properties(of: schema["items"], at: place + "[]")
            properties(of: schema["additionalProperties"], at: place + "{}")
            for keyword in ["oneOf", "anyOf", "allOf"] {
                for branch in schema[keyword]?.sequence ?? [] { properties(of: branch, at: place) }
            }
        }

        func parameters(_ list: Node?, of owner: String) {
            for parameter in list?.sequence ?? [] where parameter["$ref"] == nil && !described(parameter) {
                missing.append("parameter \(parameter["name"]?.string ?? "?") (\(parameter["in"]?.string ?? "?")) of \(owner)")
            }
        }

        func contentSchemas(_ holder: Node?, at place: String) {
            for (_, media) in holder?["content"]?.mapping ?? [:] { properties(of: media["schema"], at: place) }
        }

        for (name, schema) in root["components"]?["schemas"]?.mapping ?? [:] {
            let schemaName = name.string ?? "?"
            if !described(schema) { missing.append("schema \(schemaName)") }
            properties(of: schema, at: schemaName)
        }
        for (name, parameter) in root["components"]?["parameters"]?.mapping ?? [:] where !described(parameter) {
            missing.append("parameter #/components/parameters/\(name.string ?? "?")")
        }
        for (path, item) in root["paths"]?.mapping ?? [:] {
            let pathName = path.string ?? "?"
            parameters(item["parameters"], of: pathName)
            for method in methods {
                guard let operation = item[method] else { continue }
                let operationName = operation["operationId"]?.string ?? "\(method.uppercased()) \(pathName)"
                if !described(operation) { missing.append("operation \(operationName) (\(method.uppercased()) \(pathName))") }
                parameters(operation["parameters"], of: operationName)
                contentSchemas(operation["requestBody"], at: "\(operationName) request body")
                for (status, response) in operation["responses"]?.mapping ?? [:] {
                    contentSchemas(response, at: "\(operationName) \(status.string ?? "?") response")
                }
            }
        }
        return missing
    }
}

import Foundation
import Testing

@testable import HotCodegen

/// The generator refuses what it would drop, applies the spec's defaults, and writes nothing unused.
@Suite("Contract fidelity: nothing in the spec is silently dropped")
struct SpecCoverageTests {
    /// The message of the refusal `yaml` gets, or nil if it generates.
    func refusal(_ yaml: String) -> String? {
        do {
            _ = try Generator.generate(yaml: yaml)
            return nil
        } catch let unsupported as Translator.Unsupported {
            return unsupported.description
        } catch {
            return "not an Unsupported: \(error)"
        }
    }

    /// The fixture with one more property on Widget (a schema at `#/components/schemas/Widget/properties/extra`).
    func widgetProperty(_ schema: String) -> String {
        SpecFixtures.widgets().replacingOccurrences(
            of: "        result: {description: Any JSON.}",
            with: "        result: {description: Any JSON.}\n        extra: \(schema)")
    }

    func expectRefusal(_ yaml: String, at location: String, naming keyword: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let message = refusal(yaml)
        #expect(message?.contains(location) == true, "\(message ?? "generated")", sourceLocation: sourceLocation)
        #expect(message?.contains(keyword) == true, "\(message ?? "generated")", sourceLocation: sourceLocation)
    }

    @Test("the fixture itself generates (the refusals below are each one keyword's)")
    func fixtureGenerates() {
        #expect(refusal(SpecFixtures.widgets()) == nil)
    }

    @Test("the project's spec/openapi.yaml generates")
    func realSpecGenerates() throws {
        let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("spec/openapi.yaml")
        let files = try Generator.generate(yaml: try String(contentsOf: spec, encoding: .utf8))
        #expect(try #require(files["Routes.swift"]).contains("HotRoutes.listProjects"))
    }

    @Test("a format the validator does not check is refused; uuid, date-time, binary (strings) and int64 are not")
    func formats() {
        expectRefusal(widgetProperty("{type: string, format: email}"), at: "#/components/schemas/Widget/properties/extra/format", naming: "email")
        expectRefusal(widgetProperty("{type: integer, format: int32}"), at: "#/components/schemas/Widget/properties/extra/format", naming: "int32")
        expectRefusal(widgetProperty("{type: number, format: float}"), at: "#/components/schemas/Widget/properties/extra/format", naming: "format")
        #expect(refusal(widgetProperty("{type: integer, format: int64}")) == nil)
        #expect(refusal(widgetProperty("{type: string, format: binary}")) == nil)
    }

    @Test("exclusive bounds on a number are refused (an integer's are translated to inclusive ones)")
    func exclusiveBounds() {
        expectRefusal(widgetProperty("{type: number, exclusiveMinimum: 0}"), at: "#/components/schemas/Widget/properties/extra/exclusiveMinimum", naming: "exclusiveMinimum")
        expectRefusal(widgetProperty("{type: number, exclusiveMaximum: 1}"), at: "#/components/schemas/Widget/properties/extra/exclusiveMaximum", naming: "exclusiveMaximum")
        #expect(refusal(widgetProperty("{type: integer, exclusiveMinimum: 0}")) == nil)
    }

    @Test("a default where nothing applies it is refused: a component, an array item, a nullable, a non-scalar, a path parameter")
    func unsupportedDefaults() {
        expectRefusal(SpecFixtures.widgets(extraWidgetProperty: "    Size: {type: integer, default: 3}"), at: "#/components/schemas/Size/default", naming: "default")
        expectRefusal(widgetProperty("{type: array, items: {type: string, default: x}}"), at: "#/components/schemas/Widget/properties/extra/items/default", naming: "default")
        expectRefusal(widgetProperty("{type: [integer, 'null'], default: 3}"), at: "#/components/schemas/Widget/properties/extra/default", naming: "default")
        expectRefusal(widgetProperty("{type: array, default: []}"), at: "#/components/schemas/Widget/properties/extra/default", naming: "default")
        expectRefusal(widgetProperty("{type: integer, default: many}"), at: "#/components/schemas/Widget/properties/extra/default", naming: "not a integer")
        let pathDefault = SpecFixtures.widgets().replacingOccurrences(
            of: "schema: {type: string, format: uuid}\n", with: "schema: {type: string, format: uuid, default: 550e8400-e29b-41d4-a716-446655440000}\n")
        expectRefusal(pathDefault, at: "#/paths/~1v1~1widgets~1{widget_id}/delete/parameters/0/schema/default", naming: "default")
        // A default its own schema refuses is a contract that contradicts itself.
        let belowMinimum = SpecFixtures.widgets().replacingOccurrences(of: "schema: {type: integer, minimum: 1}", with: "schema: {type: integer, minimum: 1, default: 0}")
        #expect(refusal(belowMinimum)?.contains("below the minimum") == true)
    }

    @Test("const, uniqueItems and other keywords nothing reads are refused")
    func unknownKeywords() {
        expectRefusal(widgetProperty("{type: string, const: x}"), at: "#/components/schemas/Widget/properties/extra/const", naming: "const")
        expectRefusal(widgetProperty("{type: array, items: {type: string}, uniqueItems: true}"), at: "#/components/schemas/Widget/properties/extra/uniqueItems", naming: "uniqueItems")
        expectRefusal(widgetProperty("{type: object, minProperties: 1}"), at: "#/components/schemas/Widget/properties/extra/minProperties", naming: "minProperties")
        expectRefusal(widgetProperty("{type: string, minimum: 1}"), at: "#/components/schemas/Widget/properties/extra/minimum", naming: "type string")
        expectRefusal(widgetProperty("{minLength: 1}"), at: "#/components/schemas/Widget/properties/extra/minLength", naming: "without type")
        expectRefusal(widgetProperty("{type: string, x-hot-secret: true}"), at: "#/components/schemas/Widget/properties/extra/x-hot-secret", naming: "extension")
        expectRefusal(widgetProperty("{type: object, allOf: [{$ref: '#/components/schemas/Meta'}]}"), at: "#/components/schemas/Widget/properties/extra/allOf", naming: "allOf")
    }

    @Test("an enum of anything but strings is refused")
    func integerEnum() {
        expectRefusal(widgetProperty("{type: integer, enum: [1, 2]}"), at: "#/components/schemas/Widget/properties/extra/enum", naming: "enum")
        expectRefusal(widgetProperty("{type: string, enum: [a, 2]}"), at: "#/components/schemas/Widget/properties/extra/enum", naming: "enum")
        #expect(refusal(widgetProperty("{type: string, enum: [a, '2']}")) == nil)
    }

    @Test("a response header schema is a string or an integer with the keywords its rule checks")
    func responseHeaders() {
        func withHeader(_ schema: String) -> String {
            SpecFixtures.widgets().replacingOccurrences(
                of: "          description: No credential.\n",
                with: "          description: No credential.\n          headers:\n            Retry-After:\n              schema: \(schema)\n")
        }
        #expect(refusal(withHeader("{type: integer, minimum: 0}")) == nil)
        expectRefusal(withHeader("{type: string, format: date-time}"), at: "#/paths/~1v1~1widgets/get/responses/401/headers/Retry-After/schema/format", naming: "format")
        expectRefusal(withHeader("{type: array, items: {type: string}}"), at: "#/paths/~1v1~1widgets/get/responses/401/headers/Retry-After/schema", naming: "string or integer")
        expectRefusal(withHeader("{type: integer, enum: [1]}"), at: "#/paths/~1v1~1widgets/get/responses/401/headers/Retry-After/schema/enum", naming: "enum")
    }

    @Test("a second content type of a response or a request body is refused")
    func secondContentType() {
        let response = SpecFixtures.widgets().replacingOccurrences(
            of: "              schema: {$ref: '#/components/schemas/WidgetListResponse'}\n",
            with: "              schema: {$ref: '#/components/schemas/WidgetListResponse'}\n            text/csv:\n              schema: {type: string}\n")
        expectRefusal(response, at: "#/paths/~1v1~1widgets/get/responses/200/content", naming: "text/csv")
        let request = SpecFixtures.widgets().replacingOccurrences(
            of: "              blue: {value: {name: blue}}\n",
            with: "              blue: {value: {name: blue}}\n          application/x-www-form-urlencoded:\n            schema: {$ref: '#/components/schemas/CreateWidgetRequest'}\n")
        expectRefusal(request, at: "#/paths/~1v1~1widgets/post/requestBody/content", naming: "application/x-www-form-urlencoded")
    }

    @Test("operation, parameter and media type keys the generator ignores are refused")
    func documentKeys() {
        let style = SpecFixtures.widgets().replacingOccurrences(of: "          in: query\n", with: "          in: query\n          style: form\n")
        expectRefusal(style, at: "#/paths/~1v1~1widgets/get/parameters/0/style", naming: "style")
        let callbacks = SpecFixtures.widgets().replacingOccurrences(of: "      operationId: createWidget\n", with: "      operationId: createWidget\n      callbacks: {}\n")
        expectRefusal(callbacks, at: "#/paths/~1v1~1widgets/post/callbacks", naming: "callbacks")
        let singleExample = SpecFixtures.widgets().replacingOccurrences(
            of: "              schema: {$ref: '#/components/schemas/WidgetListResponse'}\n",
            with: "              schema: {$ref: '#/components/schemas/WidgetListResponse'}\n              example: {data: []}\n")
        expectRefusal(singleExample, at: "#/paths/~1v1~1widgets/get/responses/200/content/application~1json/example", naming: "example")
        let head = SpecFixtures.widgets().replacingOccurrences(of: "    post:\n", with: "    head:\n      operationId: headWidgets\n      responses: {}\n    post:\n")
        expectRefusal(head, at: "#/paths/~1v1~1widgets/head", naming: "head")
        // `security` must say what x-hot-credentials says.
        let security = SpecFixtures.widgets().replacingOccurrences(of: "      operationId: createWidget\n", with: "      operationId: createWidget\n      security: []\n")
        expectRefusal(security, at: "#/paths/~1v1~1widgets/post/security", naming: "x-hot-credentials")
    }
}

@Suite("Contract fidelity: the spec's defaults are the generated ones")
struct SpecDefaultTests {
    func generate(_ yaml: String) throws -> [String: String] {
        try Generator.generate(yaml: yaml)
    }

    @Test("a query parameter's default is read for an absent parameter and the input is not optional")
    func queryDefault() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(of: "schema: {type: integer, minimum: 1}", with: "schema: {type: integer, minimum: 1, default: 37}")
        let files = try generate(yaml)
        let routes = try #require(files["Routes.swift"])
        #expect(routes.contains(#"let limit = try RequestInput.queryInt(request, "limit", minimum: 1, maximum: nil) ?? 37"#))
        // The permission inputs see the value the handler sees.
        #expect(routes.contains(#""limit": String(limit)"#))
        let api = try #require(files["API.swift"])
        #expect(api.contains("public var limit: Int\n"))
        #expect(api.contains("public init(limit: Int = 37)"))
        // Without a default: optional, as before.
        let plain = try #require(try generate(SpecFixtures.widgets())["API.swift"])
        #expect(plain.contains("public var limit: Int?"))
    }

    @Test("a string enum parameter's default is its case")
    func enumDefault() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(
            of: "schema: {type: integer, minimum: 1}", with: "schema: {type: string, enum: [red, dark-blue], default: dark-blue}")
        let routes = try #require(try generate(yaml)["Routes.swift"])
        #expect(routes.contains(#"try RequestInput.queryString(request, "limit", rule: StringRule(allowedValues: ["red", "dark-blue"])) ?? "dark-blue""#))
        let outside = SpecFixtures.widgets().replacingOccurrences(
            of: "schema: {type: integer, minimum: 1}", with: "schema: {type: string, enum: [red], default: blue}")
        #expect(throws: Translator.Unsupported.self) { try generate(outside) }
    }

    @Test("an object property's default is decoded for an absent value")
    func propertyDefault() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(
            of: "        name: {type: string, minLength: 1}\n",
            with: "        name: {type: string, minLength: 1}\n        copies: {type: integer, minimum: 1, default: 3}\n        loud: {type: boolean, default: false}\n")
        let models = try #require(try generate(yaml)["Models.swift"])
        #expect(models.contains("public var copies: Int\n"))
        #expect(models.contains("self.copies = try container.decodeIfPresent(Int.self, forKey: .copies) ?? 3"))
        #expect(models.contains("self.loud = try container.decodeIfPresent(Bool.self, forKey: .loud) ?? false"))
        #expect(models.contains("copies: Int = 3"))
    }
}

@Suite("Contract fidelity: generated code carries nothing unused")
struct UnusedCodeTests {
    func translate(_ yaml: String) throws -> APIDescription {
        var translator = Translator(document: try SpecParser.parse(yaml: yaml))
        return try translator.translate()
    }

    @Test("only types an operation uses (transitively) become Swift types; every component keeps its rule")
    func usedTypes() throws {
        let api = try translate(SpecFixtures.widgets(extraWidgetProperty: "    Orphan: {type: object, properties: {a: {type: string}}}"))
        let names = Set(api.types.map(\.name))
        // Widget (payload) → Color (a property); CreateWidgetRequest (body).
        #expect(names == ["Widget", "Color", "CreateWidgetRequest"])
        // Envelopes, the error body, Meta, Pagination and the orphan describe the wire: rules only.
        for name in ["WidgetResponse", "WidgetListResponse", "ErrorEnvelope", "Meta", "Pagination", "Orphan"] {
            #expect(api.schemaRules.contains { $0.name == name }, "\(name)")
        }
    }

    @Test("an inline object nested in a used type is kept; one in an unused component is not")
    func inlineTypes() throws {
        let api = try translate(SpecFixtures.widgets(extraWidgetProperty: "    Orphan: {type: object, properties: {inner: {type: object, properties: {a: {type: string}}}}}")
            .replacingOccurrences(of: "        result: {description: Any JSON.}",
                                  with: "        result: {description: Any JSON.}\n        size: {type: object, properties: {w: {type: integer}}}"))
        let names = Set(api.types.map(\.name))
        #expect(names.contains("WidgetSize"))
        #expect(!names.contains("OrphanInner"))
    }
}

@Suite("Contract fidelity: a default response covers only undeclared statuses")
struct DefaultResponseRuleTests {
    @Test("declared responses without a JSON body (204, event streams, files) get no rule, not the error envelope's")
    func bodylessDeclared() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(
            of: "        '204': {description: Deleted.}\n",
            with: "        '204': {description: Deleted.}\n        default:\n          description: Any other error.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/ErrorEnvelope'}\n")
        let validators = try #require(try Generator.generate(yaml: yaml)["Validators.swift"])
        let declared = try #require(validators.range(of: #"case ("deleteWidget", 204): return nil"#))
        let wildcard = try #require(validators.range(of: #"case ("deleteWidget", _): return .ref("ErrorEnvelope")"#))
        #expect(declared.lowerBound < wildcard.lowerBound)
    }
}

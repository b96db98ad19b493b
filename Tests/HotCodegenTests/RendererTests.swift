import Testing

@testable import HotCodegen

@Suite("Renderers: declarations in, Swift out")
struct RendererTests {
    func generate(_ yaml: String) throws -> [String: String] {
        try Generator.generate(yaml: yaml, gitSHA: "0123456789abcdef0123456789abcdef01234567")
    }

    @Test("the generator writes exactly the files the plugin declares")
    func fileSet() throws {
        #expect(Set(try generate(SpecFixtures.widgets()).keys) == Set(Generator.fileNames))
    }

    @Test("models encode uuids and dates through the wire types and keep the JSON names")
    func models() throws {
        let models = try #require(try generate(SpecFixtures.widgets())["Models.swift"])
        #expect(models.contains("public struct Widget: Codable, Sendable, Equatable, JSONWritable {"))
        #expect(models.contains("/// A thing with a name."))
        #expect(models.contains("public var widgetId: UUID"))
        #expect(models.contains(#"case widgetId = "widget_id""#))
        #expect(models.contains("try container.encode(WireUUID(self.widgetId), forKey: .widgetId)"))
        // Required and nullable: written as null, not left out.
        #expect(models.contains("try container.encode(self.stopTime.map { WireDate($0) }, forKey: .stopTime)"))
        #expect(models.contains("try container.encodeIfPresent(self.tags.map { $0.map { WireUUID($0) } }, forKey: .tags)"))
        // The direct writer: the same members, keys sorted when generated; null kept, absent left out.
        #expect(models.contains(#"json.member("stop_time", self.stopTime)"#))
        #expect(models.contains(#"json.member("tags", ifPresent: self.tags)"#))
        let writer = try #require(models.range(of: "public func write(to json: inout JSONOutput)"))
        let keys = models[writer.upperBound...].prefix { $0 != "}" }.matches(of: #/json\.member\("([^"]+)"/#).map { String($0.1) }
        #expect(!keys.isEmpty)
        #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // A keyword is escaped where it is declared.
        #expect(models.contains("public var `var`: String?"))
        #expect(models.contains(#"case darkBlue = "dark-blue""#))
    }

    @Test("a property added to a schema in the spec alone reaches the model, its coding key and the encoder")
    func addedProperty() throws {
        let before = try #require(try generate(SpecFixtures.widgets())["Models.swift"])
        #expect(!before.contains("colour"))
        let yaml = SpecFixtures.widgets().replacingOccurrences(
            of: "        result: {description: Any JSON.}",
            with: "        result: {description: Any JSON.}\n        colour: {$ref: '#/components/schemas/Color'}")
        let after = try #require(try generate(yaml)["Models.swift"])
        #expect(after.contains("public var colour: Color?"))
        #expect(after.contains(#"case colour = "colour""#))
        #expect(after.contains("try container.encodeIfPresent(self.colour, forKey: .colour)"))
        #expect(after.contains("self.colour = try container.decodeIfPresent(Color.self, forKey: .colour)"))
        let validators = try #require(try generate(yaml)["Validators.swift"])
        #expect(validators.contains(#"("colour", .ref("Color"))"#))
    }

    @Test("the protocol has one method per operation with typed input and output")
    func api() throws {
        let api = try #require(try generate(SpecFixtures.widgets())["API.swift"])
        #expect(api.contains("func listWidgets(_ input: ListWidgets.Input, context: HotRequestContext) async throws -> ListWidgets.Output"))
        #expect(api.contains("case ok(Page<Widget>)"))
        #expect(api.contains("case created(Widget)"))
        #expect(api.contains("case noContent"))
        // Error responses are thrown as APIError: no Output case, no route case rethrowing one.
        #expect(!api.contains("case unauthorized"))
        #expect(api.contains("/// Error responses (401, and any other status) are thrown as `APIError`."))
        #expect(!(try #require(try generate(SpecFixtures.widgets())["Routes.swift"])).contains("throw APIError"))
        #expect(api.contains("public var body: CreateWidgetRequest"))
        #expect(api.contains("public var widgetId: UUID"))
    }

    @Test("routes read, validate, authorize and answer in the envelope")
    func routes() throws {
        let routes = try #require(try generate(SpecFixtures.widgets())["Routes.swift"])
        #expect(routes.contains(#"router.on("/v1/widgets/:widget_id", method: .delete)"#))
        #expect(routes.contains(#"let limit = try RequestInput.queryInt(request, "limit", minimum: 1, maximum: nil)"#))
        #expect(routes.contains(#"let widgetId = try RequestInput.pathUUID(context, "widget_id")"#))
        #expect(routes.contains("rule: OperationSchemas.createWidgetBody, validator: Schemas.validator"))
        #expect(routes.contains("return try Envelope.list(payload, status: .ok, context: context)"))
        #expect(routes.contains("return Envelope.empty(status: .noContent)"))
        #expect(RoutesRenderer.hummingbirdPath("/v1/projects/{project_id_or_slug}/builds/{build_id}")
            == "/v1/projects/:project_id_or_slug/builds/:build_id")
    }

    /// The widgets spec with `PUT /v1/widgets/blobs/{path}` (rest of the path, a raw body) and
    /// `PUT /v1/widgets/{widget_id}/pieces/{number}` (an integer path parameter).
    func blobsSpec(restOfPath: String = "x-hot-rest-of-path: true", path: String = "/v1/widgets/blobs/{path}") -> String {
        SpecFixtures.widgets().replacingOccurrences(of: "paths:\n", with: """
            paths:
              \(path):
                put:
                  operationId: putBlob
                  summary: Store a blob
                  x-hot-credentials: [api_key]
                  x-hot-permission: none
                  parameters:
                    - name: path
                      in: path
                      required: true
                      schema: {type: string, minLength: 1}
                      example: a/b.txt
                      \(restOfPath)
                  requestBody:
                    required: true
                    content:
                      application/octet-stream:
                        schema: {type: string, format: binary}
                  responses:
                    '204':
                      description: Stored.
              /v1/widgets/{widget_id}/pieces/{number}:
                put:
                  operationId: putPiece
                  summary: Store a piece
                  x-hot-credentials: [api_key]
                  x-hot-permission: none
                  parameters:
                    - name: widget_id
                      in: path
                      required: true
                      schema: {type: string, format: uuid}
                    - name: number
                      in: path
                      required: true
                      schema: {type: integer, minimum: 1, maximum: 100}
                  responses:
                    '204':
                      description: Stored.

            """)
    }

    @Test("a rest-of-path parameter routes as **, an octet-stream body reaches the handler unread, integer path parameters are bounded")
    func restOfPathAndRawBody() throws {
        let files = try generate(blobsSpec())
        let routes = try #require(files["Routes.swift"])
        #expect(routes.contains(#"router.on("/v1/widgets/blobs/**", method: .put)"#))
        #expect(routes.contains(#"let path = try RequestInput.pathRest(context, "path", rule: StringRule(minLength: 1))"#))
        #expect(routes.contains("let body = try RawBody.required(request)"))
        #expect(routes.contains(#"let number = try RequestInput.pathInt(context, "number", minimum: 1, maximum: 100)"#))
        let api = try #require(files["API.swift"])
        #expect(api.contains("public var body: RawBody"))
        let operations = try #require(files["Operations.swift"])
        #expect(operations.contains("restOfPath: true"))
        // Only the last segment can take the rest of the path, and only a string.
        #expect(throws: Translator.Unsupported.self) { try generate(blobsSpec(path: "/v1/widgets/blobs/{path}/meta")) }
        #expect(throws: Translator.Unsupported.self) {
            try generate(blobsSpec().replacingOccurrences(of: "schema: {type: string, minLength: 1}\n          example: a/b.txt",
                                                          with: "schema: {type: integer}\n          example: 1"))
        }
        // An undeclared extension is refused, as any other unknown key.
        #expect(throws: (any Error).self) { try generate(blobsSpec(restOfPath: "x-hot-rest: true")) }
    }

    @Test("the operation table carries credentials and permission")
    func operations() throws {
        let operations = try #require(try generate(SpecFixtures.widgets())["Operations.swift"])
        #expect(operations.contains("credentials: [.apiKey, .session],"))
        #expect(operations.contains(#"permissions: [PermissionRequirement(resource: "widget:*", action: "read", mode: .filter)]"#))
        #expect(operations.contains("ListWidgets.descriptor,"))
    }

    @Test("validators are built from the schema keywords")
    func validators() throws {
        let validators = try #require(try generate(SpecFixtures.widgets())["Validators.swift"])
        #expect(validators.contains(#"("name", .string(StringRule(minLength: 1, maxLength: 10, pattern: "^[a-z]+$")))"#))
        #expect(validators.contains(#"("stop_time", .nullable(.string(StringRule(format: .dateTime))))"#))
        #expect(validators.contains("additional: .forbidden"))
        #expect(validators.contains(#""Widget": widget,"#))
    }

    @Test("propertyNames reaches the object rule; a default response answers for every unlisted status")
    func keyRulesAndDefault() throws {
        let yaml = SpecFixtures.widgets(
            extraWidgetProperty: "    Grants: {type: object, propertyNames: {pattern: '^[a-z]+:'}, additionalProperties: {type: array, minItems: 1, items: {type: string}}}",
            defaultResponse: "{$ref: '#/components/schemas/ErrorEnvelope'}")
        let validators = try #require(try generate(yaml)["Validators.swift"])
        #expect(validators.contains(#"additional: .schema(.array(items: .string(StringRule()), minItems: 1, maxItems: nil)), propertyNames: StringRule(pattern: "^[a-z]+:"))"#))
        // Listed statuses first: a switch takes the first case that matches.
        let listed = try #require(validators.range(of: #"case ("listWidgets", 401): return .ref("ErrorEnvelope")"#))
        let unlisted = try #require(validators.range(of: #"case ("listWidgets", _): return .ref("ErrorEnvelope")"#))
        #expect(listed.lowerBound < unlisted.lowerBound)
        // The statuses listed by number, without the default: what response checks call documented.
        #expect(validators.contains(#"case "listWidgets": return [200, 401]"#))
        // The default response is no case of the operation's Output: the handler throws APIError for those.
        let api = try #require(try generate(yaml)["API.swift"])
        #expect(!api.contains("case `default`") && !api.contains("case status"))
    }

    @Test("examples and build facts are written as data")
    func examplesAndBuildInfo() throws {
        let files = try generate(SpecFixtures.widgets())
        let examples = try #require(files["Examples.swift"])
        #expect(examples.contains(#"operationId: "createWidget", name: "blue","#))
        #expect(examples.contains(#"requestBody: "{\"name\":\"blue\"}","#))
        let buildInfo = try #require(files["BuildInfo.swift"])
        #expect(buildInfo.contains(#"public static let gitSHA = "0123456789abcdef0123456789abcdef01234567""#))
        #expect(buildInfo.contains(#"public static let apiVersion = "2.0.0""#))
    }

    @Test("string literals escape quotes, backslashes and control characters")
    func literals() {
        #expect(Literal.string(#"a"b\c"# + "\n") == #""a\"b\\c\n""#)
    }

    @Test("names: snake, kebab and colon-separated words become camelCase; keywords are escaped")
    func naming() {
        #expect(Naming.lowerCamel("project_id") == "projectId")
        #expect(Naming.lowerCamel("event:created") == "eventCreated")
        #expect(Naming.lowerCamel("X-Build-Exists") == "xBuildExists")
        #expect(Naming.upperCamel("listProjects") == "ListProjects")
        #expect(Naming.escaped("var") == "`var`")
        #expect(Naming.escaped("name") == "name")
    }
}

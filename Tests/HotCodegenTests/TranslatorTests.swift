import Testing

@testable import HotCodegen

@Suite("Translator: spec in, declarations out")
struct TranslatorTests {
    func translate(_ yaml: String) throws -> APIDescription {
        var translator = Translator(document: try SpecParser.parse(yaml: yaml))
        return try translator.translate()
    }

    func structure(_ name: String, in api: APIDescription) throws -> StructDecl {
        let found = api.types.compactMap { type -> StructDecl? in
            if case .structure(let decl) = type, decl.name == name { return decl }
            return nil
        }.first
        return try #require(found, "no struct \(name)")
    }

    @Test("an object schema becomes a struct with camelCase properties, optional unless required")
    func objectSchema() throws {
        let widget = try structure("Widget", in: try translate(SpecFixtures.widgets()))
        #expect(widget.doc == "A thing with a name.")
        let byJSON = Dictionary(uniqueKeysWithValues: widget.properties.map { ($0.jsonName, $0) })
        #expect(byJSON["widget_id"]?.swiftName == "widgetId")
        #expect(byJSON["widget_id"]?.type == .uuid)
        #expect(byJSON["widget_id"]?.doc == "The widget's id.")
        #expect(byJSON["name"]?.type == .string)
        #expect(byJSON["var"]?.type == .optional(.string))
        #expect(byJSON["tags"]?.type == .optional(.array(.uuid)))
    }

    @Test("required and nullable means an optional that is written as null")
    func requiredNullable() throws {
        let widget = try structure("Widget", in: try translate(SpecFixtures.widgets()))
        let stopTime = try #require(widget.properties.first { $0.jsonName == "stop_time" })
        #expect(stopTime.type == .optional(.date))
        #expect(stopTime.encodesNull)
        let tags = try #require(widget.properties.first { $0.jsonName == "tags" })
        #expect(!tags.encodesNull)
    }

    @Test("the empty schema is any JSON value")
    func anyJSON() throws {
        let widget = try structure("Widget", in: try translate(SpecFixtures.widgets()))
        #expect(widget.properties.first { $0.jsonName == "result" }?.type == .optional(.json))
    }

    @Test("a string enum becomes a Swift enum with camelCase cases")
    func stringEnum() throws {
        let api = try translate(SpecFixtures.widgets())
        let color = api.types.compactMap { type -> StringEnumDecl? in
            if case .stringEnum(let decl) = type { return decl }
            return nil
        }.first
        #expect(color?.name == "Color")
        #expect(color?.cases.map(\.rawValue) == ["red", "dark-blue"])
        #expect(color?.cases.map(\.swiftName) == ["red", "darkBlue"])
    }

    @Test("envelopes are recognised by shape: the handler deals in data or pages")
    func envelopes() throws {
        let api = try translate(SpecFixtures.widgets())
        let list = try #require(api.operations.first { $0.operationId == "listWidgets" })
        #expect(list.responses.first?.payload == .list(.named("Widget")))
        #expect(list.responses.last?.payload == .error)
        let create = try #require(api.operations.first { $0.operationId == "createWidget" })
        #expect(create.responses.first?.payload == .envelope(.named("Widget")))
        let delete = try #require(api.operations.first { $0.operationId == "deleteWidget" })
        #expect(delete.responses.first?.payload == .empty)
        #expect(delete.responses.first?.caseName == "noContent")
    }

    @Test("parameters carry their location, type and validation keywords")
    func parameters() throws {
        let api = try translate(SpecFixtures.widgets())
        let limit = try #require(api.operations.first { $0.operationId == "listWidgets" }?.parameters.first)
        #expect(limit.location == .query)
        #expect(limit.type == .int)
        #expect(limit.minimum == 1)
        #expect(!limit.required)
        let widgetId = try #require(api.operations.first { $0.operationId == "deleteWidget" }?.parameters.first)
        #expect(widgetId.location == .path)
        #expect(widgetId.type == .uuid)
        #expect(widgetId.swiftName == "widgetId")
    }

    @Test("a query parameter that refers to a string enum component is that enum, validated by its values")
    func enumParameter() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(of: "schema: {type: integer, minimum: 1}", with: "schema: {$ref: '#/components/schemas/Color'}")
        let parameter = try #require(try translate(yaml).operations.first { $0.operationId == "listWidgets" }?.parameters.first)
        #expect(parameter.type == .named("Color"))
        #expect(parameter.stringRule?.allowedValues == ["red", "dark-blue"])
    }

    @Test("vendor extensions become the operation's credentials and permission")
    func authorization() throws {
        let api = try translate(SpecFixtures.widgets())
        let list = try #require(api.operations.first { $0.operationId == "listWidgets" })
        #expect(list.credentials == ["api_key", "session"])
        #expect(list.permissions == [PermissionDecl(resource: "widget:*", action: "read", mode: "filter")])
        let create = try #require(api.operations.first { $0.operationId == "createWidget" })
        #expect(create.permissions == [PermissionDecl(resource: "widget:{body.name}", action: "create", mode: "check")])
        #expect(api.operations.first { $0.operationId == "deleteWidget" }?.permissions == [])
    }

    @Test("schema keywords become validation rules")
    func rules() throws {
        let api = try translate(SpecFixtures.widgets())
        let widget = try #require(api.schemaRules.first { $0.name == "Widget" }?.rule)
        guard case .object(let properties, let required, let additional, let propertyNames, _) = widget else {
            Issue.record("Widget's rule is not an object: \(widget)")
            return
        }
        #expect(required == ["widget_id", "name", "stop_time"])
        #expect(additional == .allowed)
        #expect(propertyNames == nil)
        #expect(properties.first { $0.name == "name" }?.rule
            == .string(StringRuleDecl(format: nil, allowedValues: nil, minLength: 1, maxLength: 10, pattern: "^[a-z]+$")))
        #expect(properties.first { $0.name == "stop_time" }?.rule
            == .nullable(.string(StringRuleDecl(format: "date-time"))))
        guard case .json(_, let bodyRule, true)? = api.operations.first(where: { $0.operationId == "createWidget" })?.body else {
            Issue.record("createWidget has no required JSON body")
            return
        }
        #expect(bodyRule == .ref("CreateWidgetRequest"))
        guard case .object(_, _, let bodyAdditional, _, _)? = api.schemaRules.first(where: { $0.name == "CreateWidgetRequest" })?.rule else {
            Issue.record("CreateWidgetRequest is not an object")
            return
        }
        #expect(bodyAdditional == .forbidden)
    }

    @Test("propertyNames, minItems and maxItems become rules; a propertyNames inside an example stays data")
    func keyAndLengthRules() throws {
        let yaml = SpecFixtures.widgets(extraWidgetProperty: """
                Grants:
                  type: object
                  propertyNames: {pattern: '^[a-z]+:.+$', maxLength: 64}
                  additionalProperties: {type: array, minItems: 1, maxItems: 6, items: {type: string}}
                  example: {propertyNames: [x]}
                Labels:
                  type: object
                  properties:
                    propertyNames: {type: string}
            """)
        let api = try translate(yaml)
        let grants = try #require(api.schemaRules.first { $0.name == "Grants" }?.rule)
        #expect(grants == .object(
            properties: [], required: [],
            additional: .schema(.array(items: .string(StringRuleDecl()), minItems: 1, maxItems: 6)),
            propertyNames: StringRuleDecl(maxLength: 64, pattern: "^[a-z]+:.+$")))
        // A property that happens to be called propertyNames is a property, not the keyword.
        let labels = try #require(api.schemaRules.first { $0.name == "Labels" }?.rule)
        #expect(labels == .object(properties: [("propertyNames", .string(StringRuleDecl()))], required: [], additional: .allowed))
    }

    @Test("a default response is the rule for unlisted statuses, not a case the handler returns")
    func defaultResponse() throws {
        let yaml = SpecFixtures.widgets(defaultResponse: "{$ref: '#/components/schemas/ErrorEnvelope'}")
        let list = try #require(try translate(yaml).operations.first { $0.operationId == "listWidgets" })
        #expect(list.defaultResponseRule == .ref("ErrorEnvelope"))
        #expect(list.responses.map(\.status) == [200, 401])
    }

    @Test("request and response examples of the same name form one example")
    func examples() throws {
        let api = try translate(SpecFixtures.widgets())
        let blue = try #require(api.examples.first { $0.operationId == "createWidget" && $0.name == "blue" })
        #expect(blue.requestBody == #"{"name":"blue"}"#)
        #expect(blue.status == 201)
        #expect(blue.responseBody?.contains(#""name":"blue""#) == true)
        #expect(api.examples.contains { $0.operationId == "deleteWidget" && $0.status == 204 })
    }

    @Test("allOf is refused with a message naming the convention")
    func unsupportedAllOf() throws {
        let yaml = SpecFixtures.widgets(extraWidgetProperty: """
                Mixed:
                  allOf:
                    - {$ref: '#/components/schemas/Meta'}
                    - {$ref: '#/components/schemas/Pagination'}
            """)
        #expect(throws: Translator.Unsupported.self) { try translate(yaml) }
    }
}

@Suite("Translator refuses what it cannot generate correctly")
struct TranslatorRefusalTests {
    func translate(_ yaml: String) throws -> APIDescription {
        var translator = Translator(document: try SpecParser.parse(yaml: yaml))
        return try translator.translate()
    }

    @Test("an operation without x-hot-credentials is refused: authorization is part of the contract")
    func missingCredentials() {
        let yaml = SpecFixtures.widgets().replacingOccurrences(of: "      x-hot-credentials: [api_key]\n      x-hot-permission: none\n", with: "")
        #expect(throws: Translator.Unsupported.self) { try translate(yaml) }
    }

    @Test("an authenticated operation must state its permission, or none")
    func missingPermission() throws {
        #expect(try translate(SpecFixtures.widgets()).operations.first { $0.operationId == "deleteWidget" }?.permissions == [])
        #expect(throws: Translator.Unsupported.self) { try translate(SpecFixtures.widgetsWithoutDeletePermission()) }
    }

    @Test("a list of permissions is kept in order")
    func permissionList() throws {
        let yaml = SpecFixtures.widgets()
            .replacingOccurrences(of: #"x-hot-permission: {resource: "widget:{body.name}", action: create}"#,
                                  with: #"x-hot-permission: [{resource: "widget:{body.name}", action: create}, {resource: "shelf:*", action: read, mode: filter}]"#)
        let create = try #require(try translate(yaml).operations.first { $0.operationId == "createWidget" })
        #expect(create.permissions.map(\.resource) == ["widget:{body.name}", "shelf:*"])
        #expect(create.permissions.map(\.readsBody) == [true, false])
    }

    @Test("a permission placeholder naming no declared input is refused, with the template's JSON pointer")
    func undeclaredPlaceholder() throws {
        for (template, pointer) in [
            ("widget:{body.nmae}", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
            ("widget:{query.limit}", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
            ("widget:{project}", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
            ("widget:{name}", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
            ("widget:{body.name", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
            ("widget:{}", "#/paths/~1v1~1widgets/post/x-hot-permission/resource"),
        ] {
            let yaml = SpecFixtures.widgets()
                .replacingOccurrences(of: #"resource: "widget:{body.name}""#, with: #"resource: "\#(template)""#)
            let error = try #require(throws: Translator.Unsupported.self, "\(template)") { try translate(yaml) }
            #expect(error.description.hasPrefix(pointer + ": "), "\(error.description)")
        }
        // In a list, the pointer names the entry.
        let listed = SpecFixtures.widgets()
            .replacingOccurrences(of: #"x-hot-permission: {resource: "widget:{body.name}", action: create}"#,
                                  with: #"x-hot-permission: [{resource: "shelf:*", action: read}, {resource: "widget:{body.colour}", action: create}]"#)
        let error = try #require(throws: Translator.Unsupported.self) { try translate(listed) }
        #expect(error.description.hasPrefix("#/paths/~1v1~1widgets/post/x-hot-permission/1/resource: {body.colour} names no input"))
    }

    @Test("placeholders of optional inputs are marked: the requirement applies only when they are sent")
    func optionalPlaceholders() throws {
        // `name` is required in the body; `limit` is an optional query parameter of listWidgets.
        let create = try #require(try translate(SpecFixtures.widgets()).operations.first { $0.operationId == "createWidget" })
        #expect(create.permissions.map(\.mayBeAbsent) == [[]])
        let yaml = SpecFixtures.widgets()
            .replacingOccurrences(of: #"x-hot-permission: {resource: "widget:*", action: read, mode: filter}"#,
                                  with: #"x-hot-permission: {resource: "widget:{query.limit}:{env}", action: read}"#)
            .replacingOccurrences(of: "schema: {type: integer, minimum: 1}", with: "schema: {type: string}")
        let list = try #require(try translate(yaml).operations.first { $0.operationId == "listWidgets" })
        #expect(list.permissions.map(\.mayBeAbsent) == [["query.limit"]])
        let optionalName = SpecFixtures.widgets().replacingOccurrences(of: "required: [name]\n      additionalProperties: false", with: "additionalProperties: false")
        let createOptional = try #require(try translate(optionalName).operations.first { $0.operationId == "createWidget" })
        #expect(createOptional.permissions.map(\.mayBeAbsent) == [["body.name"]])
    }

    @Test("a parameter type the routes cannot read is refused instead of generating broken code")
    func unsupportedParameter() {
        let yaml = SpecFixtures.widgets()
            .replacingOccurrences(of: "schema: {type: integer, minimum: 1}", with: "schema: {type: string, format: date-time}")
        #expect(throws: Translator.Unsupported.self) { try translate(yaml) }
    }

    @Test("a default response that is not the bare error envelope, and status ranges, are refused")
    func unsupportedDefault() {
        let withExample = SpecFixtures.widgets(defaultResponse: "{$ref: '#/components/schemas/ErrorEnvelope'}", defaultExample: true)
        #expect(throws: Translator.Unsupported.self) { try translate(withExample) }
        let notAnError = SpecFixtures.widgets(defaultResponse: "{$ref: '#/components/schemas/Widget'}")
        #expect(throws: Translator.Unsupported.self) { try translate(notAnError) }
        let range = SpecFixtures.widgets().replacingOccurrences(of: "'401':", with: "'4XX':")
        #expect(throws: Translator.Unsupported.self) { try translate(range) }
    }

    @Test("propertyNames that is not a plain string rule, or on a non-object, is refused rather than left unchecked")
    func unsupportedPropertyNames() {
        for extra in [
            "Keys: {type: object, propertyNames: {enum: [a, b]}}",
            "Keys: {type: object, propertyNames: {$ref: '#/components/schemas/Color'}}",
            "Keys: {type: string, propertyNames: {pattern: '^a$'}}",
        ] {
            let yaml = SpecFixtures.widgets(extraWidgetProperty: "    " + extra)
            #expect(throws: Translator.Unsupported.self, "\(extra)") { try translate(yaml) }
        }
    }

    @Test("x-hot-check wraps a schema's rule in the named check; a name that is no identifier is refused")
    func schemaCheck() throws {
        let yaml = SpecFixtures.widgets().replacingOccurrences(of: "    CreateWidgetRequest:\n      type: object", with: "    CreateWidgetRequest:\n      x-hot-check: widgetNames\n      type: object")
        let rule = try #require(try translate(yaml).schemaRules.first { $0.name == "CreateWidgetRequest" }?.rule)
        guard case .checked("widgetNames", .object) = rule else { Issue.record("\(rule)"); return }
        let bad = yaml.replacingOccurrences(of: "x-hot-check: widgetNames", with: "x-hot-check: widget-names")
        let error = try #require(throws: Translator.Unsupported.self) { try translate(bad) }
        #expect(error.description.hasPrefix("#/components/schemas/CreateWidgetRequest/x-hot-check: "))
    }

    /// The widgets spec with a feed, `GET /v1/widgets/feed`, whose frames and x-hot-sse-events are given.
    func feedSpec(frames: [String], events: String) -> String {
        let feed = """
              /v1/widgets/feed:
                get:
                  operationId: widgetFeed
                  x-hot-credentials: [api_key]
                  x-hot-permission: none
                  x-hot-sse-events: \(events)
                  responses:
                    '200':
                      description: Widgets as they change.
                      content:
                        text/event-stream:
                          schema:
                            oneOf: [\(frames.map { "{$ref: '#/components/schemas/\($0)'}" }.joined(separator: ", "))]

            """
        let frameSchemas = """
                WidgetFrame:
                  type: object
                  required: [event, data]
                  properties:
                    event: {type: string, enum: [widget:made]}
                    data: {type: string, contentMediaType: application/json, contentSchema: {$ref: '#/components/schemas/Widget'}}
                ColorFrame:
                  type: object
                  required: [event, data]
                  properties:
                    event: {type: string, enum: [color:set]}
                    data: {type: string, contentMediaType: application/json, contentSchema: {$ref: '#/components/schemas/Color'}}

            """
        return SpecFixtures.widgets()
            .replacingOccurrences(of: "  /v1/widgets/{widget_id}:\n", with: feed + "  /v1/widgets/{widget_id}:\n")
            .replacingOccurrences(of: "    Widget:\n", with: frameSchemas + "    Widget:\n")
    }

    @Test("a feed's events are typed: their schemas become types that name the event, and the frames must match x-hot-sse-events")
    func sseEvents() throws {
        let api = try translate(feedSpec(frames: ["WidgetFrame"], events: "[{event: 'widget:made', schema: Widget}]"))
        let feed = try #require(api.operations.first { $0.operationId == "widgetFeed" })
        #expect(feed.sseEvents == [SSEEventDecl(event: "widget:made", schema: "Widget", doc: nil)])
        #expect(api.types.contains { $0.name == "Widget" })
        let refused = [
            // Frames that are not the declared events, or not in their order.
            feedSpec(frames: ["WidgetFrame", "ColorFrame"], events: "[{event: 'widget:made', schema: Widget}]"),
            feedSpec(frames: ["WidgetFrame"], events: "[{event: 'widget:changed', schema: Widget}]"),
            // An entry without a schema, or whose schema is no object (it could not be typed).
            feedSpec(frames: ["WidgetFrame"], events: "[{event: 'widget:made'}]"),
            feedSpec(frames: ["ColorFrame"], events: "[{event: 'color:set', schema: Color}]"),
            feedSpec(frames: ["WidgetFrame"], events: "[{event: 'widget:made', schema: Nothing}]"),
        ]
        for yaml in refused {
            #expect(throws: Translator.Unsupported.self) { try translate(yaml) }
        }
    }

    @Test("enum values that collide as Swift names are refused")
    func collidingEnum() {
        let yaml = SpecFixtures.widgets()
            .replacingOccurrences(of: "enum: [red, dark-blue]", with: "enum: [dark-blue, dark_blue]")
        #expect(throws: Translator.Unsupported.self) { try translate(yaml) }
    }
}

import Foundation
import OpenAPIKit

extension Translator {
    mutating func translate(
        _ operation: OpenAPI.Operation, method: String, path: String, pathParameters: OpenAPI.Parameter.Array
    ) throws -> (OperationDecl, [ExampleDecl]) {
        guard let operationId = operation.operationId else {
            throw Unsupported(description: "\(method) \(path) has no operationId")
        }
        let typeName = Naming.upperCamel(operationId)

        var parameters: [ParameterDecl] = []
        var parameterExamples: [String: String] = [:]
        for either in pathParameters + operation.parameters {
            let parameter = try components.lookup(either)
            let (decl, example) = try parameterDecl(parameter, operationId: operationId)
            parameters.removeAll { $0.name == decl.name }
            parameters.append(decl)
            if let example { parameterExamples[decl.name] = example }
        }

        for parameter in parameters where parameter.restOfPath && !path.hasSuffix("/{\(parameter.name)}") {
            throw Unsupported(description: "\(operationId): x-hot-rest-of-path parameter \(parameter.name) must be the path's last segment")
        }

        var body: BodyDecl?
        var requestExamples: [String: (contentType: String, text: String)] = [:]
        if let requestEither = operation.requestBody {
            let request = try components.lookup(requestEither)
            for (contentType, contentEither) in request.content {
                let content = try components.lookup(contentEither)
                let type = contentType.typeAndSubtype
                guard let schema = content.schema else { continue }
                if type == "application/json" {
                    let swift = try swiftType(schema, hint: typeName + "Body")
                    body = .json(type: swift, rule: try rule(for: schema), required: request.required)
                } else if type == "multipart/form-data" {
                    body = .multipart(fields: try multipartFields(schema), required: request.required)
                } else if type == "application/octet-stream" {
                    guard case .string(let core, _) = try resolved(schema).value, core.formatString == "binary" else {
                        throw Unsupported(description: "\(operationId): an application/octet-stream body must be a string of format binary")
                    }
                    body = .raw(required: request.required)
                } else {
                    throw Unsupported(description: "\(operationId): request content \(type) is not supported")
                }
                for (name, text) in try exampleTexts(content, json: type == "application/json") {
                    requestExamples[name] = (type, text)
                }
            }
        }

        var responses: [ResponseDecl] = []
        var defaultResponseRule: RuleDecl?
        var examples: [ExampleDecl] = []
        for (statusCode, responseEither) in operation.responses {
            let response = try components.lookup(responseEither)
            if statusCode.value == .default {
                defaultResponseRule = try defaultRule(response, operationId: operationId)
                continue
            }
            guard case .status(let status) = statusCode.value else {
                throw Unsupported(description: "\(operationId): only explicit status codes and default are supported (no ranges such as 4XX)")
            }
            let (decl, contentType, content) = try responseDecl(response, status: status, typeName: typeName)
            responses.append(decl)
            guard let content, let contentType else { continue }
            for (name, text) in try exampleTexts(content, json: contentType == "application/json") {
                let request = requestExamples[name]
                examples.append(ExampleDecl(
                    operationId: operationId, name: name, summary: nil, parameters: parameterExamples,
                    requestContentType: request?.contentType, requestBody: request?.text,
                    status: status, responseContentType: contentType, responseBody: text
                ))
            }
        }
        // Responses without a body (204) still pair with request examples of the same name, or stand alone.
        for response in responses where response.payload == .empty {
            let names = requestExamples.isEmpty ? [operationId] : requestExamples.keys.sorted()
            for name in names where !examples.contains(where: { $0.name == name }) {
                let request = requestExamples[name]
                examples.append(ExampleDecl(
                    operationId: operationId, name: name, summary: nil, parameters: parameterExamples,
                    requestContentType: request?.contentType, requestBody: request?.text,
                    status: response.status, responseContentType: nil, responseBody: nil
                ))
            }
        }

        let extensions = operation.vendorExtensions
        // Authorization is part of the contract: an operation that says nothing is an error, not
        // an open door. Public operations say `x-hot-credentials: []`.
        guard let rawCredentials = extensions["x-hot-credentials"]?.value as? [Any] else {
            throw Unsupported(description: "\(operationId): x-hot-credentials is required (a list; [] for a public operation)")
        }
        let credentials = rawCredentials.compactMap { $0 as? String }
        let known: Set<String> = ["api_key", "service_key", "session"]
        guard credentials.count == rawCredentials.count, credentials.allSatisfy(known.contains) else {
            throw Unsupported(description: "\(operationId): x-hot-credentials may name only api_key, service_key, session")
        }
        let permissions = try permissionDecls(
            extensions["x-hot-permission"]?.value, operationId: operationId, isPublic: credentials.isEmpty,
            at: "#/paths/\(SpecCoverage.escape(path))/\(method.lowercased())/x-hot-permission",
            inputs: try placeholderInputs(parameters: parameters, body: body))
        let operationPointer = "#/paths/\(SpecCoverage.escape(path))/\(method.lowercased())"
        let sseEvents = try sseEventDecls(extensions["x-hot-sse-events"]?.value, at: operationPointer + "/x-hot-sse-events")
        var streamSchema: JSONSchema?
        for (_, either) in operation.responses {
            for (contentType, content) in try components.lookup(either).content where contentType.typeAndSubtype == "text/event-stream" {
                streamSchema = try components.lookup(content).schema
            }
        }
        switch (streamSchema, sseEvents.isEmpty) {
        case (nil, true):
            break
        case (let schema?, false):
            try checkFrames(schema, against: sseEvents, at: operationPointer)
        default:
            throw Unsupported(description: "\(operationPointer): a text/event-stream response (with a schema) and x-hot-sse-events go together")
        }

        let decl = OperationDecl(
            operationId: operationId, typeName: typeName, method: method.uppercased(), path: path,
            summary: operation.summary, doc: operation.description, parameters: parameters, body: body,
            responses: responses, defaultResponseRule: defaultResponseRule, credentials: credentials, permissions: permissions, sseEvents: sseEvents
        )
        return (decl, examples)
    }

    private mutating func parameterDecl(_ parameter: OpenAPI.Parameter, operationId: String) throws -> (ParameterDecl, String?) {
        let location: ParameterLocation
        switch parameter.location {
        case .path: location = .path
        case .query: location = .query
        case .header: location = .header
        default: throw Unsupported(description: "\(operationId): parameter \(parameter.name) in \(parameter.location) is not supported")
        }
        guard let schemaContext = parameter.schemaOrContent.a else {
            throw Unsupported(description: "\(operationId): parameter \(parameter.name) must use a schema")
        }
        let schema = try components.lookup(schemaContext.schema)
        // A `$ref` to a string enum component is that enum, not a String.
        let enumName = schemaContext.schema.a?.name.flatMap { isStringEnum($0) ? $0 : nil }
        let type = try enumName.map(SwiftType.named)
            ?? swiftType(schema, hint: Naming.upperCamel(operationId) + Naming.upperCamel(parameter.name)).unwrapped
        var stringRule: StringRuleDecl?
        var minimum: Int?
        var maximum: Int?
        switch try rule(for: try resolved(schema)) {
        case .string(let rule): stringRule = rule
        case .integer(let min, let max): (minimum, maximum) = (min, max)
        default: break
        }
        // The routes read these kinds of parameter; anything else would generate code that does not compile.
        let supported: Bool
        switch (location, type) {
        case (.path, .string), (.path, .uuid), (.path, .int): supported = true
        case (.query, .string), (.query, .uuid), (.query, .int), (.query, .bool): supported = true
        case (.query, .named(let name)): supported = isStringEnum(name)
        case (.header, .string): supported = true
        default: supported = false
        }
        guard supported else {
            throw Unsupported(description: "\(operationId): \(location.rawValue) parameter \(parameter.name) of type \(type.rendered) is not supported")
        }
        let restOfPath = parameter.vendorExtensions["x-hot-rest-of-path"]?.value as? Bool ?? false
        if restOfPath, location != .path || type != .string {
            throw Unsupported(description: "\(operationId): x-hot-rest-of-path is for a string path parameter (\(parameter.name))")
        }
        let example = schemaContext.example.map { describe($0.value) } ?? schema.examples.first.map { describe($0.value) }
        // Only an inline schema's default is the parameter's (SpecCoverage refuses one on a component).
        let defaultType: SwiftType = enumName == nil ? type : .string
        let defaultValue = try self.defaultValue(schema, type: defaultType, at: "\(operationId): parameter \(parameter.name)")
        return (ParameterDecl(
            name: parameter.name, swiftName: Naming.lowerCamel(parameter.name), location: location, type: type,
            required: parameter.required, stringRule: stringRule, minimum: minimum, maximum: maximum,
            doc: parameter.description, defaultValue: defaultValue, restOfPath: restOfPath
        ), example)
    }

    func isStringEnum(_ name: String) -> Bool {
        guard let schema = components.schemas[OpenAPI.ComponentKey(stringLiteral: name)],
              case .string(let core, _) = schema.value else { return false }
        return core.allowedValues != nil
    }

    private func multipartFields(_ schema: JSONSchema) throws -> [MultipartFieldDecl] {
        guard case .object(_, let object) = try resolved(schema).value else {
            throw Unsupported(description: "multipart bodies must be objects")
        }
        return try object.properties.map { name, property in
            let kind: MultipartFieldDecl.Kind
            switch property.value {
            case .string(let core, let string) where core.formatString == "binary" || string.contentMediaType != nil:
                kind = .file
            case .string(let core, _) where core.formatString == "uuid":
                kind = .uuid
            default:
                guard case .string(let rule) = try rule(for: property) else {
                    throw Unsupported(description: "multipart field \(name) must be a string or a file")
                }
                kind = .string(rule)
            }
            return MultipartFieldDecl(
                name: name, swiftName: Naming.lowerCamel(name), kind: kind,
                required: object.requiredProperties.contains(name), doc: property.description
            )
        }
    }

    private mutating func responseDecl(
        _ response: OpenAPI.Response, status: Int, typeName: String
    ) throws -> (ResponseDecl, String?, OpenAPI.Content?) {
        var headers: [ResponseHeaderDecl] = []
        for (name, either) in response.headers ?? [:] {
            let header = try components.lookup(either)
            var headerRule: RuleDecl?
            if let context = header.schemaOrContent.a {
                headerRule = try rule(for: try components.lookup(context.schema))
            }
            headers.append(ResponseHeaderDecl(name: name, swiftName: Naming.lowerCamel(name), doc: nil, rule: headerRule))
        }
        var decl = ResponseDecl(
            status: status, caseName: Naming.responseCaseName(status: status), payload: .empty,
            headers: headers, doc: response.description, rule: nil
        )
        guard let (contentType, contentEither) = response.content.first else {
            decl.payload = status >= 400 ? .error : .empty
            return (decl, nil, nil)
        }
        let content = try components.lookup(contentEither)
        let type = contentType.typeAndSubtype
        if status >= 400 {
            decl.payload = .error
            decl.rule = try content.schema.map(rule(for:))
        } else if type == "text/event-stream" {
            decl.payload = .eventStream
        } else if type == "application/json" {
            guard let schema = content.schema else { throw Unsupported(description: "\(typeName): JSON response without schema") }
            decl.rule = try rule(for: schema)
            decl.payload = try jsonPayload(schema, hint: typeName + Naming.upperCamel(decl.caseName))
        } else {
            decl.payload = .binary(contentType: type)
        }
        return (decl, type, content)
    }

    /// `default`: the error envelope for any status the operation does not list. It is documentation
    /// and a response rule, never an `Output` case, so it must be a JSON error body without examples
    /// (an example there would have no status to be replayed with).
    private func defaultRule(_ response: OpenAPI.Response, operationId: String) throws -> RuleDecl {
        guard response.content.count == 1, let (contentType, contentEither) = response.content.first,
              contentType.typeAndSubtype == "application/json",
              let schema = try components.lookup(contentEither).schema
        else {
            throw Unsupported(description: "\(operationId): the default response must be the JSON error envelope")
        }
        let content = try components.lookup(contentEither)
        guard (content.examples ?? [:]).isEmpty, content.example == nil else {
            throw Unsupported(description: "\(operationId): the default response has no status, so it cannot carry examples")
        }
        guard case .object(_, let object) = try resolved(schema).value, object.properties["error"] != nil else {
            throw Unsupported(description: "\(operationId): the default response must be the error envelope ({error})")
        }
        return try rule(for: schema)
    }

    /// Recognises the envelopes by shape: `{data, meta}` and `{data: [...], pagination, meta}`.
    private mutating func jsonPayload(_ schema: JSONSchema, hint: String) throws -> ResponsePayload {
        guard case .object(_, let object) = try resolved(schema).value,
              let data = object.properties["data"], object.properties["meta"] != nil
        else {
            return .bare(try swiftType(schema, hint: hint))
        }
        if object.properties["pagination"] != nil {
            guard case .array(_, let array) = try resolved(data).value, let items = array.items else {
                throw Unsupported(description: "\(hint): a list envelope's data must be an array")
            }
            return .list(try swiftType(items, hint: hint + "Item"))
        }
        return .envelope(try swiftType(data, hint: hint + "Data"))
    }

    /// Named examples of a content, as text: JSON (sorted keys) for JSON content, the string itself otherwise.
    private func exampleTexts(_ content: OpenAPI.Content, json: Bool) throws -> [(String, String)] {
        try (content.examples ?? [:]).compactMap { name, either in
            let example = try components.lookup(either)
            guard let value = example.dataOrLegacyValue else { return nil }
            if !json, let text = value.value as? String { return (name, text) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (name, String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    private func describe(_ value: Any) -> String {
        switch value {
        case let string as String: string
        case let bool as Bool: bool ? "true" : "false"
        default: "\(value)"
        }
    }
}

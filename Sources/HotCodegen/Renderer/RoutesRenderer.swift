/// Routes.swift: registers every operation on a Hummingbird router. Each route authenticates,
/// reads and validates its input (400 naming the field), authorizes, calls `HotAPI`, and writes the
/// output in the envelope with the documented status.
enum RoutesRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import Foundation")
        w.line("import HotRuntime")
        if api.takesUploads { w.line("import HotUploads") }
        w.line("import Hummingbird")
        w.line()
        w.block("public enum HotRoutes") { w in
            w.block("@inlinable public static func register(on router: Router<HotRequestContext>, api: some HotAPI, authorizer: some RequestAuthorizer)") { w in
                for operation in api.operations {
                    let restOfPath = Set(operation.parameters.filter(\.restOfPath).map(\.name))
                    w.closure("router.on(\(Literal.string(hummingbirdPath(operation.path, restOfPath: restOfPath))), method: .\(operation.method.lowercased())) { request, context in") { w in
                        w.line("try await HotRoutes.\(operation.operationId)(request, context, api, authorizer)")
                    }
                }
            }
            for operation in api.operations {
                w.line()
                handler(operation, &w)
            }
        }
        return w.text
    }

    /// `/v1/projects/{project_id_or_slug}` → `/v1/projects/:project_id_or_slug`; a rest-of-path
    /// parameter becomes `**` (every remaining segment).
    static func hummingbirdPath(_ path: String, restOfPath: Set<String> = []) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            guard segment.hasPrefix("{") && segment.hasSuffix("}") else { return String(segment) }
            let name = String(segment.dropFirst().dropLast())
            return restOfPath.contains(name) ? "**" : ":" + name
        }.joined(separator: "/")
    }

    static func handler(_ operation: OperationDecl, _ w: inout SwiftWriter) {
        w.doc("`\(operation.method) \(operation.path)`")
        w.block("@inlinable public static func \(operation.operationId)(_ request: Request, _ context: HotRequestContext, _ api: some HotAPI, _ authorizer: some RequestAuthorizer) async throws -> Response") { w in
            w.line("var context = context")
            w.line("let operation = \(operation.typeName).descriptor")
            w.line("context.credential = try await authorizer.authenticate(request, context: context, operation: operation)")
            var pathInputs: [String] = []
            var queryInputs: [String] = []
            for parameter in operation.parameters {
                w.line("let \(Naming.escaped(parameter.swiftName)) = \(readParameter(parameter))")
                let text = textForm(parameter)
                switch parameter.location {
                case .path: pathInputs.append("\(Literal.string(parameter.name)): \(text)")
                case .query: queryInputs.append("\(Literal.string(parameter.name)): \(text)")
                case .header: break
                }
            }
            let path = pathInputs.isEmpty ? "[:]" : "[\(pathInputs.joined(separator: ", "))]"
            let query = queryInputs.isEmpty ? "[:]" : "([\(queryInputs.joined(separator: ", "))] as [String: String?]).compactMapValues { $0 }"
            if !operation.permissions.isEmpty {
                w.line("let inputs = PermissionInputs(path: \(path), query: \(query))")
            }
            // What needs no body is authorized before the body is read: a caller without the
            // permission never gets the server to buffer a large body.
            if operation.permissions.contains(where: { !$0.readsBody }) {
                w.line("try await authorizer.authorize(context: &context, requirements: operation.permissionsBeforeBody, inputs: inputs)")
            }
            var bodyJSON = "nil"
            switch operation.body {
            case .json(let type, _, let required)?:
                let read = required ? "jsonBody" : "optionalJSONBody"
                w.line("let bodyJSON = try await RequestInput.\(read)(request, context: context, rule: OperationSchemas.\(operation.operationId)Body, validator: Schemas.validator)")
                if required {
                    w.line("let body = try RequestInput.decode(\(type.rendered).self, from: bodyJSON)")
                } else {
                    w.line("let body = try bodyJSON.map { try RequestInput.decode(\(type.rendered).self, from: $0) }")
                }
                bodyJSON = "bodyJSON"
            case .multipart(let fields, _)?:
                // Read as it arrives: file parts are spooled to disk, and removed after the handler
                // unless it moved them away.
                let files = fields.filter(\.isFile).map { Literal.string($0.name) }
                let texts = fields.filter { !$0.isFile }.map { Literal.string($0.name) }
                w.line("let form = try await MultipartUpload.read(request, policy: api.uploadPolicy, fileFields: [\(files.joined(separator: ", "))], textFields: [\(texts.joined(separator: ", "))], logger: context.logger)")
                w.line("defer { form.discard() }")
                for field in fields {
                    w.line("let \(field.swiftName)Field = \(readFormField(field))")
                }
                let arguments = fields.map { "\($0.swiftName): \($0.swiftName)Field" }
                w.line("let body = \(operation.typeName).Body(\(arguments.joined(separator: ", ")))")
            case .raw(let required)?:
                // Left unread: the handler authorizes what it must, then streams it.
                w.line(required ? "let body = try RawBody.required(request)" : "let body = RawBody(request)")
            case nil:
                break
            }
            if operation.permissions.contains(where: \.readsBody) {
                w.line("try await authorizer.authorize(context: &context, requirements: operation.permissionsOnBody, inputs: PermissionInputs(path: inputs.path, query: inputs.query, body: \(bodyJSON)))")
            }
            let arguments = APIRenderer.inputFields(operation).map { "\($0.name): \(Naming.escaped($0.name))" }
            w.line("let input = \(operation.typeName).Input(\(arguments.joined(separator: ", ")))")
            w.line("switch try await api.\(operation.operationId)(input, context: context) {")
            // Error responses are thrown as `APIError`, never returned, so they have no case here.
            for response in operation.responses where response.payload != .error {
                writeCase(response, operation, &w)
            }
            w.line("}")
        }
    }

    static func readParameter(_ parameter: ParameterDecl) -> String {
        let name = Literal.string(parameter.name)
        let rule = parameter.stringRule.map { ", rule: \(ValidatorsRenderer.stringRule($0))" } ?? ""
        let read: String
        switch (parameter.location, parameter.type) {
        case (.path, .uuid): return "try RequestInput.pathUUID(context, \(name))"
        case (.path, .int): return "try RequestInput.pathInt(context, \(name), minimum: \(Literal.optional(parameter.minimum)), maximum: \(Literal.optional(parameter.maximum)))"
        case (.path, _) where parameter.restOfPath: return "try RequestInput.pathRest(context, \(name)\(rule))"
        case (.path, _): return "try RequestInput.pathString(context, \(name)\(rule))"
        case (.query, .int): read = "try RequestInput.queryInt(request, \(name), minimum: \(Literal.optional(parameter.minimum)), maximum: \(Literal.optional(parameter.maximum)))"
        case (.query, .uuid): read = "try RequestInput.queryUUID(request, \(name))"
        case (.query, .bool): read = "try RequestInput.queryBool(request, \(name))"
        case (.query, .named(let enumName)): read = "try RequestInput.queryString(request, \(name)\(rule)).flatMap(\(enumName).init(rawValue:))"
        case (.query, _): read = "try RequestInput.queryString(request, \(name)\(rule))"
        case (.header, _): read = "try RequestInput.headerString(request, \(name)\(rule))"
        }
        if let value = parameter.defaultValue { return "\(read) ?? \(Literal.defaultValue(value, type: parameter.type))" }
        guard parameter.required else { return read }
        let location = parameter.location == .header ? "header" : "query parameter"
        return "try RequestInput.require(\(read), \(Literal.string("\(location) '\(parameter.name)'")))"
    }

    /// The parameter's value as text (`String?` when it may be absent), for permission templates.
    static func textForm(_ parameter: ParameterDecl) -> String {
        let name = Naming.escaped(parameter.swiftName)
        func convert(_ value: String) -> String {
            switch parameter.type {
            case .uuid: "\(value).lowercased"
            case .named: "\(value).rawValue"
            case .string: value
            default: "String(\(value))"
            }
        }
        if parameter.alwaysPresent || parameter.location == .path { return convert(name) }
        return parameter.type == .string ? name : "\(name).map { \(convert("$0")) }"
    }

    static func readFormField(_ field: MultipartFieldDecl) -> String {
        let name = Literal.string(field.name)
        let read: String
        switch field.kind {
        case .file: read = "form.file(\(name))"
        case .uuid: read = "try form.uuid(\(name))"
        case .string(let rule): read = "try form.string(\(name), rule: \(ValidatorsRenderer.stringRule(rule)))"
        }
        guard field.required else { return read }
        return "try RequestInput.require(\(read), \(Literal.string("form field '\(field.name)'")))"
    }

    /// `.ok`, `.notFound`, … where HTTPTypes names the status; `HTTPResponse.Status(code:)` otherwise.
    static func statusExpression(_ code: Int) -> String {
        let named: [Int: String] = [
            200: ".ok", 201: ".created", 202: ".accepted", 204: ".noContent", 400: ".badRequest", 401: ".unauthorized",
            403: ".forbidden", 404: ".notFound", 409: ".conflict", 413: ".contentTooLarge", 415: ".unsupportedMediaType", 429: ".tooManyRequests",
            500: ".internalServerError", 501: ".notImplemented", 503: ".serviceUnavailable",
        ]
        return named[code] ?? "HTTPResponse.Status(code: \(code))"
    }

    static func writeCase(_ response: ResponseDecl, _ operation: OperationDecl, _ w: inout SwiftWriter) {
        let status = statusExpression(response.status)
        let hasHeaders = APIRenderer.hasTypedHeaders(response)
        let headersBinding = hasHeaders ? ", let headers" : ""
        var headersArgument = ""
        var pattern = ".\(response.caseName)"
        switch response.payload {
        case .empty: pattern += hasHeaders ? "(headers: let headers)" : ""
        default: pattern += "(let payload\(headersBinding))"
        }
        w.indented("case \(pattern):") { w in
            if hasHeaders {
                w.line("var fields = HTTPFields()")
                for header in response.headers {
                    w.line("if let value = headers.\(header.swiftName) { fields[HTTPField.Name(\(Literal.string(header.name)))!] = value }")
                }
                headersArgument = ", headers: fields"
            }
            switch response.payload {
            case .envelope:
                w.line("return try Envelope.single(payload, status: \(status), context: context\(headersArgument))")
            case .list:
                w.line("return try Envelope.list(payload, status: \(status), context: context\(headersArgument))")
            case .bare:
                w.line("return try Envelope.bare(payload, status: \(status)\(headersArgument))")
            case .empty:
                w.line("return Envelope.empty(status: \(status)\(headersArgument))")
            case .binary:
                w.line("return payload.response(status: \(status)\(headersArgument))")
            case .eventStream:
                w.line("return payload.response(status: \(status))")
            case .error:
                break
            }
        }
    }
}

/// API.swift: the `HotAPI` protocol (one method per operation) and, per operation, a namespace
/// with its typed `Input` and `Output` (one case per documented response).
enum APIRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import Foundation")
        w.line("import HotRuntime")
        if api.takesUploads { w.line("import HotUploads") }
        w.line()
        w.doc("\(api.title) \(api.version): the operations of spec/openapi.yaml. HotImpl implements it; `HotRoutes` serves it.")
        w.block("public protocol HotAPI: Sendable") { w in
            if api.takesUploads {
                w.doc("Where multipart file parts are spooled, and how large they may be.")
                w.line("var uploadPolicy: UploadPolicy { get }")
                w.line()
            }
            for operation in api.operations {
                w.doc(operation.summary)
                w.doc("`\(operation.method) \(operation.path)`")
                w.line("func \(operation.operationId)(_ input: \(operation.typeName).Input, context: HotRequestContext) async throws -> \(operation.typeName).Output")
            }
        }
        for operation in api.operations {
            w.line()
            namespace(operation, &w)
        }
        return w.text
    }

    /// The fields of an operation's `Input`; `initial` is the initialiser's default (the spec's
    /// `default`, or `nil` for an optional field).
    static func inputFields(_ operation: OperationDecl) -> [(name: String, type: String, doc: String?, initial: String?)] {
        var fields = operation.parameters.map { parameter in
            let initial = parameter.defaultValue.map { Literal.defaultValue($0, type: parameter.type) } ?? (parameter.alwaysPresent ? nil : "nil")
            let doc = [parameter.doc, initial.flatMap { $0 == "nil" ? nil : "Absent from the request: \($0) (the spec's default)." }]
                .compactMap { $0 }.joined(separator: "\n")
            return (parameter.swiftName, parameter.type.rendered + (parameter.alwaysPresent ? "" : "?"), doc.isEmpty ? nil : doc, initial)
        }
        switch operation.body {
        case .json(let type, _, let required)?:
            fields.append(("body", type.rendered + (required ? "" : "?"), "The request body.", required ? nil : "nil"))
        case .multipart(_, let required)?:
            fields.append(("body", "Body" + (required ? "" : "?"), "The multipart/form-data request body.", required ? nil : "nil"))
        case .raw?:
            fields.append(("body", "RawBody", "The request body, not yet read: the handler streams it where it belongs.", nil))
        case nil:
            break
        }
        return fields
    }

    static func payloadType(_ response: ResponseDecl) -> String? {
        switch response.payload {
        case .envelope(let type), .bare(let type): type.rendered
        case .list(let type): "Page<\(type.rendered)>"
        case .empty: nil
        case .binary: "BinaryBody"
        case .eventStream: "EventStream"
        case .error: nil
        }
    }

    /// Success responses carry their headers as a typed value; error responses carry them in `APIError`.
    static func hasTypedHeaders(_ response: ResponseDecl) -> Bool {
        !response.headers.isEmpty && response.payload != .error
    }

    static func headersTypeName(_ response: ResponseDecl) -> String {
        response.caseName.capitalizedFirst + "Headers"
    }

    static func namespace(_ operation: OperationDecl, _ w: inout SwiftWriter) {
        w.doc(operation.summary)
        w.doc(operation.doc)
        w.block("public enum \(operation.typeName)") { w in
            let fields = inputFields(operation)
            w.block("public struct Input: Sendable") { w in
                for field in fields {
                    w.doc(field.doc)
                    w.line("public var \(Naming.escaped(field.name)): \(field.type)")
                }
                w.line()
                let parameters = fields.map { "\(Naming.escaped($0.name)): \($0.type)\($0.initial.map { " = \($0)" } ?? "")" }
                w.block("public init(\(parameters.joined(separator: ", ")))") { w in
                    for field in fields {
                        w.line("self.\(field.name) = \(Naming.escaped(field.name))")
                    }
                }
            }
            if case .multipart(let multipartFields, _)? = operation.body {
                w.line()
                w.block("public struct Body: Sendable") { w in
                    for field in multipartFields {
                        w.doc(field.doc)
                        w.line("public var \(Naming.escaped(field.swiftName)): \(multipartType(field))")
                    }
                    w.line()
                    let parameters = multipartFields.map { "\($0.swiftName): \(multipartType($0))" }
                    w.block("public init(\(parameters.joined(separator: ", ")))") { w in
                        for field in multipartFields {
                            w.line("self.\(field.swiftName) = \(Naming.escaped(field.swiftName))")
                        }
                    }
                }
            }
            w.line()
            let errors = operation.responses.filter { $0.payload == .error }.map { String($0.status) }
            w.doc(errors.isEmpty ? nil : "Error responses (\(errors.joined(separator: ", ")), and any other status) are thrown as `APIError`.")
            w.block("public enum Output: Sendable") { w in
                for response in operation.responses where response.payload != .error {
                    w.doc("\(response.status)\(response.doc.map { ": \($0)" } ?? "")")
                    var associated: [String] = []
                    if let payload = payloadType(response) { associated.append(payload) }
                    if hasTypedHeaders(response) { associated.append("headers: \(headersTypeName(response))") }
                    w.line("case \(response.caseName)\(associated.isEmpty ? "" : "(\(associated.joined(separator: ", ")))")")
                }
            }
            for response in operation.responses where hasTypedHeaders(response) {
                w.line()
                w.doc("Headers of the \(response.status) response.")
                w.block("public struct \(headersTypeName(response)): Sendable") { w in
                    for header in response.headers {
                        w.doc("`\(header.name)`")
                        w.line("public var \(header.swiftName): String?")
                    }
                    w.line()
                    let parameters = response.headers.map { "\($0.swiftName): String? = nil" }
                    w.block("public init(\(parameters.joined(separator: ", ")))") { w in
                        for header in response.headers {
                            w.line("self.\(header.swiftName) = \(header.swiftName)")
                        }
                    }
                }
            }
        }
    }

    static func multipartType(_ field: MultipartFieldDecl) -> String {
        let base: String
        switch field.kind {
        case .file: base = "UploadedFile"
        case .string: base = "String"
        case .uuid: base = "UUID"
        }
        return base + (field.required ? "" : "?")
    }
}

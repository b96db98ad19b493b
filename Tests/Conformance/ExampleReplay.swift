import Foundation
import Generated
import HotImpl
import HotRuntime
import NIOHTTP1

/// Replays one documented example against the running server: builds the state the example
/// presumes, sends the documented request, and checks the answer against the documented status,
/// the response schema, and the values the request fixed.
struct ExampleReplay {
    enum Outcome: Equatable {
        case replayed
        /// The server answered 501: the operation's issue is still open.
        case notImplemented
        /// The example documents a condition a test cannot produce generically (e.g. a 500).
        case notReproducible(String)
    }

    let example: SpecExample

    var operation: OperationDescriptor? {
        OperationTable.all.first { $0.operationId == example.operationId }
    }

    /// Parameter names that appear in the path template; the others are query parameters.
    var pathParameterNames: Set<String> {
        Set(example.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
    }

    /// The body of the operation's success example, for error examples that need a valid body to get past validation.
    var successRequest: SpecExample? {
        SpecExamples.all.first { $0.operationId == example.operationId && $0.status < 300 && $0.requestBody != nil }
    }

    var successRequestBody: String? { successRequest?.requestBody }

    func run() async throws -> (Outcome, [String]) {
        guard let operation else { return (.notReproducible("no operation"), ["\(example.operationId) is not in the operation table"]) }
        var tenant = try await Tenant.make()
        var repeats = 0
        var token: String? = nil
        var authorized = true
        var createFixtures = true
        var pathValues: [String: String] = [:]
        var query: String?
        var body = example.requestBody
        var sendTwice = false

        switch example.status {
        case 200..<300:
            break
        case 401:
            authorized = false
        case 403:
            guard !operation.permissions.isEmpty, documentedErrorCode == "forbidden" else {
                return (.notReproducible("403 \(documentedErrorCode ?? "")"), [])
            }
            // A key of the same env that holds no permission the operation could need.
            token = try await tenant.key(permissions: ["mcp:nothing-granted": ["execute"]])
            body = body ?? successRequestBody
        case 404:
            createFixtures = false
            body = body ?? successRequestBody
        case 400:
            // An example that pairs its own bad request sends it; otherwise, some input that every
            // operation of its kind refuses.
            guard body == nil else { break }
            if successRequestBody != nil {
                body = "[]"  // an array where every body of the spec wants an object
            } else if let idParameter = pathParameterNames.sorted().first(where: { $0.hasSuffix("_id") }) {
                pathValues[idParameter] = "not-a-uuid"
            } else if isList(operation) {
                query = "limit=-1"
            } else {
                return (.notReproducible("no generic bad input"), [])
            }
        case 409:
            guard operation.method == .post, let success = successRequestBody else {
                return (.notReproducible("409 needs a conflicting resource"), [])
            }
            body = success
            sendTwice = true
        case 429 where documentedErrorCode == "rate_limit_exceeded":
            // An org of its own on the starter plan, on a server whose clock stands still: the
            // request past the plan's burst is refused.
            let server = try await TestServer.shared.running()
            let org = try await OrgStore(database: server.database).create(name: "limited-\(UUID().lowercased)", plan: "starter")
            tenant = try await Tenant.make(orgId: org.id, baseURL: try await TestServer.shared.frozenClockApp())
            repeats = Int(RateLimitPolicy.standard.requestsPerSecond["starter"] ?? 0)
            body = body ?? successRequestBody
        case 413:
            guard successRequest?.requestContentType == "application/json" else {
                return (.notReproducible("413 for a non-JSON body"), [])
            }
            body = #"{"padding":""# + String(repeating: "x", count: RequestInput.maximumJSONBody) + #""}"#
        default:
            return (.notReproducible("status \(example.status)"), [])
        }

        if createFixtures {
            for name in pathParameterNames.sorted() where pathValues[name] == nil {
                if let value = try await Fixtures.create(name, example: example.parameters[name], in: tenant) {
                    pathValues[name] = value
                }
            }
        }
        for name in pathParameterNames where pathValues[name] == nil {
            pathValues[name] = createFixtures ? (example.parameters[name] ?? UUID().lowercased) : missingValue(for: name)
        }

        var path = example.path
        for (name, value) in pathValues {
            path = path.replacingOccurrences(of: "{\(name)}", with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
        }
        if let query { path += "?" + query }

        let method = HTTPMethod(rawValue: operation.method.rawValue)
        var contentType = example.requestContentType
            ?? (body != nil && body == successRequestBody ? successRequest?.requestContentType : nil) ?? "application/json"
        if contentType == "multipart/form-data", let fields = body {
            (contentType, body) = Self.multipart(fromExample: fields)
        }
        if sendTwice { repeats = 1 }
        for _ in 0..<repeats {
            _ = try await tenant.send(method, path, body: body, contentType: contentType, token: token, authorized: authorized)
        }
        let reply = try await tenant.send(method, path, body: body, contentType: contentType, token: token, authorized: authorized)
        if reply.status == 501 { return (.notImplemented, []) }
        return (.replayed, check(reply, sentBody: body))
    }

    /// A form body from a multipart example (documented as an object of field values); the
    /// `file` field is sent as a file part.
    static func multipart(fromExample text: String) -> (contentType: String, body: String) {
        let boundary = "hot-conformance-\(UUID().lowercased)"
        guard case .object(let fields)? = try? JSONValue.parse(Data(text.utf8)) else {
            return ("multipart/form-data; boundary=\(boundary)", "--\(boundary)--\r\n")
        }
        var body = ""
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            let text = value.stringValue ?? "\(value)"
            body += "--\(boundary)\r\n"
            if name == "file" {
                body += "Content-Disposition: form-data; name=\"file\"; filename=\"build.hot.zip\"\r\nContent-Type: application/zip\r\n\r\n"
            } else {
                body += "Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n"
            }
            body += text + "\r\n"
        }
        return ("multipart/form-data; boundary=\(boundary)", body + "--\(boundary)--\r\n")
    }

    /// The required properties of an envelope's `data` object.
    static func requiredDataFields(_ rule: SchemaRule?) -> Set<String> {
        func resolve(_ rule: SchemaRule?) -> SchemaRule? {
            if case .ref(let name)? = rule { return resolve(Schemas.registry[name]) }
            return rule
        }
        guard case .object(let envelope)? = resolve(rule),
              case .object(let data)? = resolve(envelope.properties.first(where: { $0.name == "data" })?.rule)
        else { return [] }
        return Set(data.required)
    }

    var documentedErrorCode: String? {
        example.responseBody.flatMap { try? JSONValue.parse(Data($0.utf8)) }?["error"]?["code"]?.stringValue
    }

    func isList(_ operation: OperationDescriptor) -> Bool {
        operation.operationId.hasPrefix("list")
    }

    func missingValue(for parameter: String) -> String {
        parameter == "project_id_or_slug" ? "missing-\(UUID().lowercased)" : UUID().lowercased
    }

    /// Problems with the reply, each naming the example.
    func check(_ reply: Tenant.Reply, sentBody: String?) -> [String] {
        let label = "\(example.operationId)/\(example.name)"
        var problems: [String] = []
        guard reply.status == example.status else {
            return ["\(label): expected \(example.status), got \(reply.status): \(String(decoding: reply.body, as: UTF8.self))"]
        }
        if reply.headers.first(name: "X-Request-Id") == nil { problems.append("\(label): no X-Request-Id header") }
        if example.status == 429, Int(reply.headers.first(name: "Retry-After") ?? "") == nil {
            problems.append("\(label): 429 without a Retry-After in whole seconds")
        }
        guard example.responseContentType == "application/json" else { return problems }
        guard let json = reply.json else { return problems + ["\(label): the body is not JSON"] }
        if let rule = OperationSchemas.response(operationId: example.operationId, status: example.status) {
            for issue in Schemas.validator.issues(json, against: rule) {
                problems.append("\(label): response breaks its schema: \(issue)")
            }
        }
        let documented = example.responseBody.flatMap { try? JSONValue.parse(Data($0.utf8)) }
        if example.status >= 400 {
            if let code = documented?["error"]?["code"], json["error"]?["code"] != code {
                problems.append("\(label): error code \(json["error"]?["code"].map { "\($0)" } ?? "none"), documented \(code)")
            }
            return problems
        }
        // Every field the documented answer shows, and the schema requires, is present.
        if case .object(let documentedData)? = documented?["data"], case .object(let data)? = json["data"] {
            let required = Self.requiredDataFields(OperationSchemas.response(operationId: example.operationId, status: example.status))
            for key in documentedData.keys where data[key] == nil && required.contains(key) {
                problems.append("\(label): field \(key) is missing")
            }
        }
        // Values the request fixed come back unchanged.
        if let sentBody, case .object(let sent)? = try? JSONValue.parse(Data(sentBody.utf8)), case .object(let data)? = json["data"] {
            for (key, value) in sent {
                switch value {
                case .string, .int, .bool, .double:
                    if let returned = data[key], returned != value {
                        problems.append("\(label): \(key) was sent as \(value) and came back as \(returned)")
                    }
                default:
                    break
                }
            }
        }
        return problems
    }
}

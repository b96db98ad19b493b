import Foundation
import Generated
import HotImpl
import HotRuntime
import HotTestSupport
import NIOHTTP1
import PostgresNIO

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
        var upload = UploadKind.sample
        var closing = false
        var contentTypeSent: String?
        var revokeServiceKey = false
        var abortUpload = false

        switch example.status {
        case 200..<300:
            break
        case 401:
            authorized = false
        case 403:
            switch documentedErrorCode {
            case "forbidden" where !operation.permissions.isEmpty:
                // A key of the same env that holds no permission the operation could need.
                token = try await tenant.key(permissions: ["mcp:nothing-granted": ["execute"]])
            case "forbidden" where !operation.credentials.contains(.session):
                // A session of the same env, where the operation admits API keys only.
                token = try await Fixtures.created(tenant, "/v1/sessions", #"{"permissions":{"*:*":["*"]}}"#, id: "token")
            case "permission_escalation":
                // A key that holds what the operation needs and nothing more asks for what the body grants.
                token = try await tenant.key(permissions: Dictionary(
                    operation.permissions.map { (Self.wildcarded($0.resource), [$0.action]) }, uniquingKeysWith: +))
            case "plan_required":
                tenant = try await Tenant.make(orgId: try await Self.org(plan: "starter", tenant: tenant))
            case "domain_limit_reached":
                // An org on a plan with a limit, holding as many domains as it allows.
                tenant = try await Tenant.make(orgId: try await Self.org(plan: "pro", tenant: tenant))
                for _ in 0..<PlanLimits.of(plan: "pro").customDomains {
                    _ = try await Fixtures.create("domain_id", example: nil, in: tenant)
                }
            default:
                return (.notReproducible("403 \(documentedErrorCode ?? "")"), [])
            }
            body = body ?? successRequestBody
        case 404:
            createFixtures = false
            body = body ?? successRequestBody
            // Without a path to point elsewhere, the body names a stream of another env (a new id
            // would start a stream of its own).
            if pathParameterNames.isEmpty, let text = body, case .object(var fields)? = try? JSONValue.parse(Data(text.utf8)) {
                let stranger = try await Tenant.make()
                fields["stream_id"] = .string(try await Fixtures.created(stranger, "/v1/events", #"{"event_type":"elsewhere","event_data":{}}"#,
                                                                         id: "stream_id"))
                body = String(decoding: try JSONValue.object(fields).serialized(), as: UTF8.self)
            }
        case 400:
            // An example that pairs its own bad request sends it; otherwise, some input that every
            // operation of its kind refuses.
            guard body == nil else { break }
            // A raw body is any bytes: the bad input is in the path.
            if successRequestBody != nil, successRequest?.requestContentType != "application/octet-stream" {
                body = "[]"  // an array where every body of the spec wants an object
                // An upload's body is a form: one without a boundary.
                if successRequest?.requestContentType == "multipart/form-data" { contentTypeSent = "multipart/form-data" }
            } else if let idParameter = pathParameterNames.sorted().first(where: { $0.hasSuffix("_id") }) {
                pathValues[idParameter] = "not-a-uuid"
            } else if isList(operation) {
                query = "limit=-1"
            } else if let name = pathParameterNames.sorted().first {
                // PostgreSQL cannot store a NUL, so no string input may carry one.
                pathValues[name] = "nul\u{0}byte"
            } else {
                return (.notReproducible("no generic bad input"), [])
            }
        case 409 where successRequest?.requestContentType == "multipart/form-data":
            // An upload whose build id belongs to another project.
            body = successRequestBody
            upload = .conflicting
        case 409 where documentedErrorCode == "upload_not_pending":
            // An upload aborted before the request.
            body = successRequestBody
            abortUpload = true
        case 409 where documentedErrorCode == "revoked":
            // A service key revoked before it is updated.
            body = successRequestBody
            revokeServiceKey = true
        case 409 where operation.method == .patch:
            // A rename onto a name another project of the env already has.
            guard let success = successRequestBody, let name = (try? JSONValue.parse(Data(success.utf8)))?["name"]?.stringValue else {
                return (.notReproducible("409 needs a conflicting resource"), [])
            }
            _ = try await tenant.createProject(name)
            body = success
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
        case 413 where successRequest?.requestContentType == "multipart/form-data":
            body = successRequestBody
            upload = .oversized
        case 413 where documentedErrorCode == "storage_quota_exceeded":
            // An org on a plan with storage, already holding all of it but a byte.
            tenant = try await Tenant.make(orgId: try await Self.org(plan: "starter", tenant: tenant))
            try await tenant.server.database.client.query("""
                INSERT INTO file (file_id, env_id, path, size, storage_backend, storage_path)
                VALUES (\(UUID()), \(tenant.envId), 'filler.bin', \(Int64(PlanLimits.of(plan: "starter").storageBytes) - 1), 'file', '/nowhere')
                """)
        case 413 where successRequest?.requestContentType == "application/octet-stream":
            // One byte more than the test server's largest file.
            body = String(repeating: "x", count: Int(TestServer.fileMaxBytes) + 1)
        case 413:
            guard successRequest?.requestContentType == "application/json" else {
                return (.notReproducible("413 for a non-JSON body"), [])
            }
            body = #"{"padding":""# + String(repeating: "x", count: RequestInput.maximumJSONBody) + #""}"#
        case 415:
            // The success body, labelled as something the operation does not take.
            body = successRequestBody
            contentTypeSent = "text/plain"
        case 500:
            // A server that fails inside every operation.
            tenant.server.baseURL = try await FaultyApp.baseURL()
            createFixtures = false
            // It answers before reading any body; a connection left with an unread body is not reused.
            closing = true
            body = body ?? successRequestBody
        case 503:
            // The whole app on a database that is away.
            tenant.server.baseURL = try await TestServer.shared.databaseAwayApp()
            createFixtures = false
            // It may answer before reading a body; a connection left with an unread body is not reused.
            closing = true
            body = body ?? successRequestBody
        default:
            return (.notReproducible("status \(example.status)"), [])
        }

        if createFixtures {
            // The project first: the other resources live in it.
            for name in pathParameterNames.sorted(by: { ($0 == "project_id_or_slug" ? 0 : 1, $0) < ($1 == "project_id_or_slug" ? 0 : 1, $1) })
            where pathValues[name] == nil {
                let project = pathValues["project_id_or_slug"]
                if let value = try await Fixtures.create(name, example: example.parameters[name], in: tenant, project: project) {
                    pathValues[name] = value
                }
            }
        }
        for name in pathParameterNames where pathValues[name] == nil {
            pathValues[name] = createFixtures ? (example.parameters[name] ?? UUID().lowercased) : missingValue(for: name)
        }
        if abortUpload, let id = pathValues["upload_id"] {
            let aborted = try await tenant.send(.DELETE, "/v1/files/uploads/\(id)")
            guard aborted.status == 204 else { return (.notReproducible("the upload fixture could not be aborted"), []) }
        }
        if revokeServiceKey, let id = pathValues["service_key_id"].flatMap(UUID.init(uuidString:)) {
            _ = try await ServiceKeyStore(database: tenant.server.database, box: TestServer.testSecrets).revoke(id: id, apiKeyId: tenant.keyId, now: Date())
        }

        // A domain is registered once across all envs: each replay registers a name of its own.
        if let text = body, case .object(var fields)? = try? JSONValue.parse(Data(text.utf8)), let domain = fields["domain"]?.stringValue {
            fields["domain"] = .string(Fixtures.uniqueDomain(domain))
            body = String(decoding: try JSONValue.object(fields).serialized(), as: UTF8.self)
        }

        var path = example.path
        for (name, value) in pathValues {
            path = path.replacingOccurrences(of: "{\(name)}", with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
        }
        if let query { path += "?" + query }

        let method = HTTPMethod(rawValue: operation.method.rawValue)
        var contentType = contentTypeSent ?? example.requestContentType
            ?? (body != nil && body == successRequestBody ? successRequest?.requestContentType : nil) ?? "application/json"
        var data = body.map { Data($0.utf8) }
        if contentType == "multipart/form-data", let fields = body {
            // Without fixtures (a 404), there is no project to hold a build.
            let (form, sent) = try await multipart(
                fromExample: fields, upload: upload, project: createFixtures ? pathValues["project_id_or_slug"] : nil, tenant: tenant)
            (contentType, data, body) = (form.contentType, form.finished, sent)
        }
        if example.responseContentType == "text/event-stream", example.status == 200 {
            return (.replayed, try await replayStream(operation, path: path, body: body, tenant: tenant))
        }
        if sendTwice { repeats = 1 }
        for _ in 0..<repeats {
            if operation.eventTypes.isEmpty {
                _ = try await tenant.send(method, path, data: data, contentType: contentType, token: token, authorized: authorized, closing: closing)
            } else {
                // A feed answers for minutes: opening it is the request; it is closed at once.
                try await tenant.sse(method, path, body: body, token: token).close()
            }
        }
        let reply = try await tenant.send(method, path, data: data, contentType: contentType, token: token, authorized: authorized, closing: closing)

        if reply.status == 501 { return (.notImplemented, []) }
        return (.replayed, check(reply, sentBody: body))
    }

    /// An SSE operation: the stream opens with 200 `text/event-stream`, and its first frame is one
    /// of the operation's declared events, with `type` equal to its name. (An event published in the
    /// env once the feed is open gives the env feed something to report.)
    func replayStream(_ operation: OperationDescriptor, path: String, body: String?, tenant: Tenant) async throws -> [String] {
        let label = "\(example.operationId)/\(example.name)"
        let poke = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"replay.poke","event_data":{}}"#, id: "stream_id")
        // A documented stream to continue becomes one of this env's.
        var body = body
        if let text = body, case .object(var fields)? = try? JSONValue.parse(Data(text.utf8)), fields["stream_id"] != nil {
            fields["stream_id"] = .string(poke)
            body = String(decoding: try JSONValue.object(fields).serialized(), as: UTF8.self)
        }
        let feed = try await tenant.sse(HTTPMethod(rawValue: operation.method.rawValue), path, body: body)
        defer { feed.close() }
        guard feed.status == 200 else { return ["\(label): expected 200, got \(feed.status)"] }
        guard feed.headers.first(name: "Content-Type") == "text/event-stream" else { return ["\(label): not text/event-stream"] }
        _ = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"replay.poke","event_data":{},"stream_id":"\#(poke)"}"#)
        guard let first = try await feed.next() else { return ["\(label): the stream ended without an event"] }
        var problems: [String] = []
        if !operation.eventTypes.contains(first.event) { problems.append("\(label): first event \(first.event) is not declared") }
        if let documented = example.responseBody?.split(separator: "\n").first(where: { $0.hasPrefix("event: ") }),
           documented == "event: event:published", first.event != "event:published" {
            problems.append("\(label): the first event is \(first.event), documented event:published")
        }
        if first.json?["type"]?.stringValue != first.event { problems.append("\(label): data.type is not \(first.event)") }
        return problems
    }

    /// What a replayed upload sends as its file and build id.
    enum UploadKind {
        /// A real bundle with its hash; a documented `build_id` is replaced by one that exists in the project.
        case sample
        /// A file one byte over the server's limit.
        case oversized
        /// A real bundle under a build id that another project holds.
        case conflicting
    }

    /// A form body from a multipart example (documented as an object of field values): the `file`
    /// placeholder becomes a real bundle (or an oversized file), `hash` its SHA-256, and `build_id`
    /// an id the example's situation calls for.
    /// Returns the form and, as a JSON object, the text fields it holds (what the answer must echo).
    func multipart(fromExample text: String, upload: UploadKind, project: String?, tenant: Tenant) async throws -> (MultipartBody, String) {
        var form = MultipartBody()
        guard case .object(let fields)? = try? JSONValue.parse(Data(text.utf8)) else { return (form, "{}") }
        let file = upload == .oversized ? Data(count: Int(TestServer.maxBuildBytes) + 1) : SampleBundle.zip
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch name {
            case "file":
                form.file("file", bytes: file)
            case "hash":
                form.field("hash", sha256Hex(file))
            case "build_id" where upload != .conflicting:
                guard let project else { form.field(name, UUID().lowercased); continue }
                form.field(name, try await tenant.uploadBuild(project, zip: SampleBundle.zip))
            case "build_id":
                break
            default:
                form.field(name, value.stringValue ?? "\(value)")
            }
        }
        if upload == .conflicting {
            let other = "other-\(UUID().lowercased)"
            _ = try await tenant.createProject(other)
            form.field("build_id", try await tenant.uploadBuild(other, zip: SampleBundle.zip))
        }
        let sent = JSONValue.object(form.fields.mapValues(JSONValue.string))
        return (form, String(decoding: try sent.serialized(), as: UTF8.self))
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

    /// A permission template with every `{parameter}` made `*`: `project:{project}` → `project:*`.
    static func wildcarded(_ template: String) -> String {
        template.replacingOccurrences(of: #"\{[^}]*\}"#, with: "*", options: .regularExpression)
    }

    /// A new org on `plan`.
    static func org(plan: String, tenant: Tenant) async throws -> UUID {
        try await OrgStore(database: tenant.server.database).create(name: "\(plan)-\(UUID().lowercased)", plan: plan).id
    }

    var documentedErrorCode: String? {
        example.responseBody.flatMap { try? JSONValue.parse(Data($0.utf8)) }?["error"]?["code"]?.stringValue
    }

    func isList(_ operation: OperationDescriptor) -> Bool {
        operation.operationId.hasPrefix("list")
    }

    func missingValue(for parameter: String) -> String {
        switch parameter {
        case "project_id_or_slug": "missing-\(UUID().lowercased)"
        case "key": "MISSING_\(UUID().lowercased.replacingOccurrences(of: "-", with: ""))"
        case "part_number": "1"
        default: UUID().lowercased
        }
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
        // Documented headers, when sent, meet their schemas (an integer header is whole-number text).
        for (name, rule) in OperationSchemas.responseHeaders(operationId: example.operationId, status: example.status) {
            guard let text = reply.headers.first(name: name) else { continue }
            let value: JSONValue
            if case .integer = rule {
                guard let number = Int64(text) else {
                    problems.append("\(label): header \(name) is \(text), not a whole number")
                    continue
                }
                value = .int(number)
            } else {
                value = .string(text)
            }
            for issue in Schemas.validator.issues(value, against: rule) {
                problems.append("\(label): header \(name) breaks its schema: \(issue)")
            }
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

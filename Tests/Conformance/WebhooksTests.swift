import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Webhooks (docs/calls.md): a request to a webhook's URL is a call of its function, and the run's
/// result the response.
@Suite("Webhooks")
struct WebhooksTests {
    /// Modules of the webhooks below.
    static let echo = Data(WatHandler.echoStdin.utf8)
    static let created = Data(WatHandler.writing([
        #"{"type":"result","result":{"status":201,"headers":{"X-Hot":"yes","Content-Length":"1"},"body":"created"}}"#,
    ]).utf8)
    static let failing = Data(WatHandler.writing([#"{"type":"error","error":{"why":"no"}}"#]).utf8)
    static let wrapped = Data(WatHandler.writing([#"{"type":"result","result":{"$ok":{"status":202,"body":{"queued":true}}}}"#]).utf8)

    static let manifest = """
        {"hot.bundle.app": {webhooks: {
          "hooks": [{path: "/stripe", fn: "::hooks/echo"}, {path: "/a/b", method: "GET", fn: "::hooks/echo"},
                    {path: "/private", method: "PUT", fn: "::hooks/echo", auth_mode: "required"}],
          "made": [{path: "/", fn: "::made/it"}],
          "broken": [{path: "/boom", fn: "::broken/boom"}],
          "ok": [{path: "/wrapped", fn: "::ok/wrapped"}],
          "remote": [{path: "/slow", fn: "::remote/slow"}]}}}
        """

    /// A tenant (of `orgId`, nil: the default org) whose project `app` has the webhooks above
    /// deployed; their URLs by `<service><path>`.
    static func deployed(manifest: String = manifest, orgId: UUID? = nil) async throws -> (Tenant, [String: String]) {
        let tenant = try await Tenant.make(orgId: orgId)
        _ = try await tenant.createProject("app")
        let upload = try await CallsTests().upload(tenant, manifest: manifest, entries: [
            ("hooks.wat", echo), ("made.wat", created), ("broken.wat", failing), ("ok.wat", wrapped),
        ])
        let buildId = try #require(upload.buildId, "upload answered \(upload.status): \(upload.message ?? "")")
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        return (tenant, try await urls(tenant))
    }

    static func urls(_ tenant: Tenant) async throws -> [String: String] {
        let listed = try await tenant.send(.GET, "/v1/projects/app/webhooks?limit=100")
        #expect(listed.status == 200)
        var urls: [String: String] = [:]
        for item in listed.json?["data"]?.arrayValue ?? [] {
            if let service = item["service"]?.stringValue, let path = item["path"]?.stringValue, let url = item["url"]?.stringValue {
                urls[service + path] = url
            }
        }
        return urls
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    static func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    @Test("listWebhooks gives each webhook's URL; a call passes method, path, query, headers and a JSON body, and the run is a call")
    func jsonCall() async throws {
        let (tenant, urls) = try await Self.deployed()
        let url = try #require(urls["hooks/stripe"])
        #expect(url.hasPrefix(tenant.server.baseURL + "/webhook/default/\(tenant.envName)/hooks/stripe/"))
        let answer = try await Self.send(.POST, url + "?a=1&b=two", body: Data(#"{"amount":5}"#.utf8),
                                         headers: [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=abc")])
        #expect(answer.status == 200)
        #expect(answer.headers.first(name: "Content-Type") == "application/json")
        // The echo module's result is what it was sent: the runtime request of a call.
        let request = try #require(answer.json)
        #expect(request["run_type"]?.stringValue == "call")
        #expect(request["handler"]?["var"]?.stringValue == "echo")
        #expect(request["event"]?["event_type"]?.stringValue == "hot:call")
        #expect(request["event"]?["event_data"]?["fn"]?.stringValue == "::hooks/echo")
        let argument = try #require(request["event"]?["event_data"]?["args"]?[0])
        #expect(argument["method"]?.stringValue == "POST")
        #expect(argument["path"]?.stringValue == "/stripe")
        #expect(argument["query"] == .object(["a": "1", "b": "two"]))
        #expect(argument["headers"]?["stripe-signature"]?.stringValue == "t=1,v1=abc")
        #expect(argument["body"]?.stringValue == #"{"amount":5}"#)
        #expect(argument["body_base64"] == .null)
        // An open webhook's run is told it was called through it, by no credential.
        #expect(request["caller"] == .object([
            "via": "webhook", "service": "hooks", "name": "/stripe", "credential": .null,
            "request_id": .string(try #require(answer.headers.first(name: "X-Request-Id"))),
        ]))

        // The run is there like any other, of type call.
        let runId = try #require(request["run_id"]?.stringValue)
        let run = try await tenant.send(.GET, "/v1/runs/\(runId)")
        #expect(run.json?["data"]?["run_type"]?.stringValue == "call")
        #expect(run.json?["data"]?["status"]?.stringValue == "succeeded")
    }

    @Test("a body that is not UTF-8 arrives as body_base64; a GET webhook with a deeper path answers GET")
    func binaryAndGet() async throws {
        let (_, urls) = try await Self.deployed()
        let bytes = Data([0xFF, 0x00, 0xC3, 0x28])
        let answer = try await Self.send(.POST, try #require(urls["hooks/stripe"]), body: bytes)
        let argument = try #require(answer.json?["event"]?["event_data"]?["args"]?[0])
        #expect(argument["body"] == .null)
        #expect(argument["body_base64"]?.stringValue == bytes.base64EncodedString())

        let get = try await Self.send(.GET, try #require(urls["hooks/a/b"]))
        #expect(get.status == 200)
        #expect(get.json?["event"]?["event_data"]?["args"]?[0]?["path"]?.stringValue == "/a/b")
        #expect(get.json?["event"]?["event_data"]?["args"]?[0]?["body"] == .null)
        // The same URL with another method is no webhook.
        #expect(try await Self.send(.POST, try #require(urls["hooks/a/b"])).status == 404)
    }

    @Test("a result {status, headers, body} is the response (framing headers dropped); a failed run is a 500 envelope")
    func responses() async throws {
        let (_, urls) = try await Self.deployed()
        let made = try await Self.send(.POST, try #require(urls["made/"]))
        #expect(made.status == 201)
        #expect(made.headers.first(name: "X-Hot") == "yes")
        #expect(made.headers.first(name: "Content-Type") == "text/plain; charset=utf-8")
        #expect(String(decoding: made.body, as: UTF8.self) == "created")

        // A Hot function's {"$ok": value} is its value.
        let wrapped = try await Self.send(.POST, try #require(urls["ok/wrapped"]))
        #expect(wrapped.status == 202)
        #expect(wrapped.json == .object(["queued": .bool(true)]))

        let failed = try await Self.send(.POST, try #require(urls["broken/boom"]))
        #expect(failed.status == 500)
        #expect(failed.json?["error"]?["code"]?.stringValue == "call_failed")
        #expect(failed.json?["error"]?["request_id"]?.stringValue == failed.headers.first(name: "X-Request-Id"))
        // The function's error stays with its run: the caller is not shown it.
        #expect(!String(decoding: failed.body, as: UTF8.self).contains("why"))
    }

    @Test("an unknown org, env, service, path, method or token is the same bare 404")
    func unknown() async throws {
        let (tenant, urls) = try await Self.deployed()
        let url = try #require(urls["hooks/stripe"])
        let token = String(url.suffix(12))
        let base = tenant.server.baseURL + "/webhook"
        let wrong = [
            "\(base)/nobody/\(tenant.envName)/hooks/stripe/\(token)",
            "\(base)/default/no-such-env/hooks/stripe/\(token)",
            "\(base)/default/\(tenant.envName)/other/stripe/\(token)",
            "\(base)/default/\(tenant.envName)/hooks/stripes/\(token)",
            "\(base)/default/\(tenant.envName)/hooks/stripe/000000000000",
            "\(base)/default/\(tenant.envName)/hooks/stripe/not-a-token",
            "\(base)/default/\(tenant.envName)",
        ]
        for target in wrong {
            let answer = try await Self.send(.POST, target)
            #expect(answer.status == 404, "\(target)")
            #expect(answer.json?["error"]?["message"]?.stringValue == "Not found", "\(target)")
        }
        #expect(try await Self.send(.DELETE, url).status == 404)
    }

    @Test("auth_mode required: no credential 401, one without execute on webhook:<service><path> 403, another env's 404, a granted one calls")
    func required() async throws {
        let (tenant, urls) = try await Self.deployed()
        let url = try #require(urls["hooks/private"])
        #expect(try await Self.send(.PUT, url).status == 401)
        #expect(try await Self.send(.PUT, url, headers: [("Authorization", "Bearer nonsense")]).status == 401)
        let other = try await tenant.key(permissions: ["webhook:hooks/stripe": ["execute"]])
        #expect(try await Self.send(.PUT, url, headers: [("Authorization", "Bearer \(other)")]).status == 403)
        let stranger = try await Tenant.make()
        #expect(try await Self.send(.PUT, url, headers: [("Authorization", "Bearer \(stranger.token)")]).status == 404)
        let granted = try await tenant.key(permissions: ["webhook:hooks/private": ["execute"]])
        let answer = try await Self.send(.PUT, url, body: Data("hi".utf8), headers: [("Authorization", "Bearer \(granted)")])
        #expect(answer.status == 200)
        let argument = try #require(answer.json?["event"]?["event_data"]?["args"]?[0])
        #expect(argument["body"]?.stringValue == "hi")
        // The credential it was called with does not travel on; who it is does, with a session's metadata.
        #expect(argument["headers"]?["authorization"] == nil)
        #expect(answer.json?["caller"]?["credential"]?["kind"]?.stringValue == "api_key")
        #expect(answer.json?["caller"]?["credential"]?["metadata"] == .null)
        let session = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"webhook:hooks/private":["execute"]},"metadata":{"user":"u-7"}}"#)
        let sessionToken = try #require(session.json?["data"]?["token"]?.stringValue)
        let bySession = try await Self.send(.PUT, url, headers: [("Authorization", "Bearer \(sessionToken)")])
        #expect(bySession.json?["caller"]?["credential"]?["kind"]?.stringValue == "session")
        #expect(bySession.json?["caller"]?["credential"]?["metadata"] == .object(["user": "u-7"]))
        // An open webhook passes Authorization on: it is the caller's, not ours.
        let open = try await Self.send(.POST, try #require(urls["hooks/stripe"]), headers: [("Authorization", "Basic dXNlcjpwYXNz")])
        #expect(open.json?["event"]?["event_data"]?["args"]?[0]?["headers"]?["authorization"]?.stringValue == "Basic dXNlcjpwYXNz")
    }

    @Test("no result within the call timeout is a 504; the run goes on and its result is kept")
    func timeout() async throws {
        let (tenant, urls) = try await Self.deployed()
        let gate = Gate()
        RuntimeScript.shared.on("slow") { _ in .gated(gate, then: .succeed(result: ["late": true])) }
        let app = try await tenant.server.app(clock: SystemWallClock(), rateLimits: .standard, callTimeout: .milliseconds(500))
        let path = try #require(urls["remote/slow"]).dropFirst(tenant.server.baseURL.count)
        let answer = try await Self.send(.POST, app + path)
        #expect(answer.status == 504)
        #expect(answer.json?["error"]?["code"]?.stringValue == "timeout")
        let message = try #require(answer.json?["error"]?["message"]?.stringValue)
        let runId = try #require(message.split(separator: " ").first { UUID(uuidString: String($0)) != nil }.map(String.init))
        gate.release()
        try await Deadline.within(.seconds(20), waitingFor: "the slow run's end") {
            while try await tenant.send(.GET, "/v1/runs/\(runId)").json?["data"]?["status"]?.stringValue != "succeeded" {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(try await tenant.send(.GET, "/v1/runs/\(runId)").json?["data"]?["result"] == .object(["late": true]))
    }

    @Test("on an active custom domain, /webhook/<service><path>/<token> calls the webhook of the domain's env")
    func customDomain() async throws {
        let (tenant, urls) = try await Self.deployed()
        let domain = Fixtures.uniqueDomain("hooks.example.com")
        let store = DomainStore(database: tenant.server.database)
        let claim = try await store.create(envId: tenant.envId, orgId: tenant.server.orgId, name: domain, limit: -1, now: Date(), lease: .seconds(60))
        let token = String(try #require(urls["hooks/stripe"]).suffix(12))
        let path = "/webhook/hooks/stripe/\(token)"
        // Not active yet: nothing there.
        #expect(try await Self.send(.POST, tenant.server.baseURL + path, headers: [("Host", domain)]).status == 404)
        try await tenant.server.database.client.query("UPDATE domain SET status = 'active' WHERE domain_id = \(claim.record.id)", logger: tenant.server.logger)
        let answer = try await Self.send(.POST, tenant.server.baseURL + path, body: Data("x".utf8), headers: [("Host", domain)])
        #expect(answer.status == 200)
        #expect(answer.json?["env_id"]?.stringValue == tenant.envId.lowercased)
    }

    @Test("a body over 10 MiB is a 413")
    func bodyLimit() async throws {
        let (_, urls) = try await Self.deployed()
        let answer = try await Self.send(.POST, try #require(urls["hooks/stripe"]), body: Data(count: (10 << 20) + 1))
        #expect(answer.status == 413)
    }

    @Test("calls count against the org's rate limit; a client naming webhooks that do not exist is slowed down like one guessing keys")
    func limits() async throws {
        let starter = try await OrgStore(database: TestServer.shared.running().database).create(name: "starter hooks", plan: "starter")
        let (tenant, urls) = try await Self.deployed(orgId: starter.id)
        let url = try #require(urls["made/"])
        #expect(url.contains("/webhook/starter-hooks-"))
        // An app of its own whose clock stands still: its buckets never refill.
        let app = try await tenant.server.app(clock: ManualWallClock(), rateLimits: .standard)
        let path = url.dropFirst(tenant.server.baseURL.count)
        var statuses: [Int] = []
        for _ in 0..<21 { statuses.append(try await Self.send(.POST, app + path).status) }
        #expect(statuses == Array(repeating: 201, count: 20) + [429])

        // Another app, whose org bucket is full: the guesses alone spend the client's.
        let fresh = try await tenant.server.app(clock: ManualWallClock(), rateLimits: .standard)
        let guess = fresh + path.dropLast(12) + "0123456789ab"
        var guesses: [Int] = []
        for _ in 0..<20 { guesses.append(try await Self.send(.POST, guess).status) }
        #expect(guesses == Array(repeating: 404, count: 20))
        // The same client is now slowed down on every webhook URL, even one that exists (whose
        // org would admit it: the guesses are checked first).
        let slowed = try await Self.send(.POST, fresh + path)
        #expect(slowed.status == 429)
        #expect(slowed.json?["error"]?["message"]?.stringValue?.contains("failed authentications") == true)
    }
}

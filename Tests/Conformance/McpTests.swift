import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// MCP tools (docs/calls.md): JSON-RPC over Streamable HTTP at `/mcp/<org>/<env>/<service>`.
@Suite("MCP")
struct McpTests {
    static let manifest = """
        {"hot.bundle.app": {mcp_tools: {"calc": [
          {name: "echo", title: "Echo", description: "Says back.", fn: "::calc/echo", auth_mode: "none",
           input_schema: {type: "object", properties: {n: {type: "integer", minimum: 0}, tag: {type: "string", enum: ["a", "b"]}},
                          required: ["n"], additionalProperties: false}},
          {name: "secret", fn: "::calc/echo"},
          {name: "fail", fn: "::boom/fail", auth_mode: "none"},
          {name: "remote", fn: "::far/away", auth_mode: "none"}]}}}
        """

    static func deployed() async throws -> (Tenant, String) {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let upload = try await CallsTests().upload(tenant, manifest: manifest, entries: [
            ("calc.wat", WebhooksTests.echo), ("boom.wat", WebhooksTests.failing),
        ])
        let buildId = try #require(upload.buildId, "upload answered \(upload.status): \(upload.message ?? "")")
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let tools = try await tenant.send(.GET, "/v1/projects/app/mcp-tools")
        let url = try #require(tools.json?["data"]?[0]?["url"]?.stringValue)
        #expect(url == tenant.server.baseURL + "/mcp/default/\(tenant.envName)/calc")
        #expect(tools.json?["data"]?.arrayValue?.map { $0["name"]?.stringValue } == ["echo", "secret", "fail", "remote"])
        return (tenant, url)
    }

    static func post(_ url: String, _ body: String, token: String? = nil, version: String? = "2025-06-18",
                     headers: [(String, String)] = []) async throws -> WebhooksTests.Answer {
        var all = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")] + headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        if let version { all.append(("MCP-Protocol-Version", version)) }
        return try await WebhooksTests.send(.POST, url, body: Data(body.utf8), headers: all)
    }

    static func call(_ name: String, _ arguments: String, id: Int = 1) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(name)","arguments":\#(arguments)}}"#
    }

    @Test("initialize negotiates the version, without a session; ping answers; a notification is 202; GET is 405")
    func lifecycle() async throws {
        let (_, url) = try await Self.deployed()
        let initialize = try await Self.post(url, #"""
            {"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
            """#, version: nil)
        #expect(initialize.status == 200)
        #expect(initialize.headers.first(name: "Mcp-Session-Id") == nil)
        let result = try #require(initialize.json?["result"])
        #expect(initialize.json?["id"]?.stringValue == "init")
        #expect(result["protocolVersion"]?.stringValue == "2025-03-26")
        #expect(result["capabilities"]?["tools"] != nil)
        #expect(result["serverInfo"]?["name"]?.stringValue == "hot-server")
        // A version it does not speak: it offers its own.
        let newer = try await Self.post(url, #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2099-01-01"}}"#, version: nil)
        #expect(newer.json?["result"]?["protocolVersion"]?.stringValue == "2025-06-18")

        #expect(try await Self.post(url, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).status == 202)
        #expect(try await Self.post(url, #"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).json == .object([
            "jsonrpc": "2.0", "id": .int(7), "result": .object([:]),
        ]))
        #expect(try await WebhooksTests.send(.GET, url).status == 405)
        // An Origin must be the host called (loopback names alike); another is refused.
        let ping = #"{"jsonrpc":"2.0","id":8,"method":"ping"}"#
        let port = try #require(URL(string: url)?.port)
        #expect(try await Self.post(url, ping, headers: [("Origin", "http://localhost:\(port)")]).status == 200)
        #expect(try await Self.post(url, ping, headers: [("Origin", "https://evil.example")]).status == 403)
        #expect(try await Self.post(url, #"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#).json?["error"]?["code"] == .int(-32601))
        #expect(try await Self.post(url, "{not json").json?["error"]?["code"] == .int(-32700))
        #expect(try await Self.post(url, #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, version: "1999-01-01").status == 400)
    }

    @Test("tools/list shows what the caller may call: open tools to anyone, a required one to a credential with execute on mcp:<service>/<tool>")
    func listing() async throws {
        let (tenant, url) = try await Self.deployed()
        let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
        func names(_ token: String?) async throws -> [String?]? {
            try await Self.post(url, list, token: token).json?["result"]?["tools"]?.arrayValue?.map { $0["name"]?.stringValue }
        }
        #expect(try await names(nil) == ["echo", "fail", "remote"])
        #expect(try await names(tenant.token) == ["echo", "fail", "remote", "secret"])
        #expect(try await names(try await tenant.key(permissions: ["mcp:calc/echo": ["execute"]])) == ["echo", "fail", "remote"])
        #expect(try await names(try await tenant.key(permissions: ["mcp:calc/*": ["execute"]])) == ["echo", "fail", "remote", "secret"])
        let echo = try #require(try await Self.post(url, list).json?["result"]?["tools"]?[0])
        #expect(echo["title"]?.stringValue == "Echo")
        #expect(echo["description"]?.stringValue == "Says back.")
        #expect(echo["inputSchema"]?["required"] == .array(["n"]))
        // Another env's credential finds nothing here.
        let stranger = try await Tenant.make()
        #expect(try await Self.post(url, list, token: stranger.token).status == 404)
    }

    @Test("tools/call runs the tool with the arguments as its one arg: text and structuredContent; a failed run is isError")
    func calls() async throws {
        let (_, url) = try await Self.deployed()
        let answer = try await Self.post(url, Self.call("echo", #"{"n":3,"tag":"a"}"#, id: 9))
        #expect(answer.status == 200)
        #expect(answer.json?["id"] == .int(9))
        let result = try #require(answer.json?["result"])
        #expect(result["isError"] == .bool(false))
        let structured = try #require(result["structuredContent"])
        #expect(structured["run_type"]?.stringValue == "call")
        #expect(structured["event"]?["event_data"]?["args"] == .array([.object(["n": .int(3), "tag": "a"])]))
        let text = try #require(result["content"]?[0]?["text"]?.stringValue)
        #expect(try JSONValue.parse(Data(text.utf8)) == structured)

        // Null arguments are no arguments: the tool's schema then decides (echo requires n).
        let remote = try await Self.post(url, Self.call("remote", "null"))
        #expect(remote.json?["result"]?["isError"] == .bool(false), "\(String(decoding: remote.body, as: UTF8.self))")
        #expect(try await Self.post(url, Self.call("echo", "null")).json?["error"]?["code"] == .int(-32602))

        let failed = try #require(try await Self.post(url, Self.call("fail", "{}")).json?["result"])
        #expect(failed["isError"] == .bool(true))
        #expect(failed["content"]?[0]?["text"]?.stringValue.map { $0.contains("why") } == true)
    }

    @Test("arguments that break input_schema, and unknown tools, are JSON-RPC errors -32602 before any run", arguments: [
        #"{}"#, #"{"n":-1}"#, #"{"n":"3"}"#, #"{"n":1,"tag":"c"}"#, #"{"n":1,"extra":true}"#, #"[1]"#,
    ])
    func invalidArguments(_ arguments: String) async throws {
        let (tenant, url) = try await Self.deployed()
        let answer = try await Self.post(url, Self.call("echo", arguments))
        #expect(answer.status == 200)
        #expect(answer.json?["error"]?["code"] == .int(-32602), "\(String(decoding: answer.body, as: UTF8.self))")
        #expect(try await Self.post(url, Self.call("nothing", "{}")).json?["error"]?["code"] == .int(-32602))
        // No run was made.
        #expect(try await tenant.send(.GET, "/v1/runs").json?["pagination"]?["total"] == .int(0))
    }

    @Test("a required tool: no credential 401, one without execute 403, a granted service key calls it")
    func permissions() async throws {
        let (tenant, url) = try await Self.deployed()
        let call = Self.call("secret", #"{"x":1}"#)
        #expect(try await Self.post(url, call).status == 401)
        #expect(try await Self.post(url, call, token: try await tenant.key(permissions: ["mcp:calc/echo": ["execute"]])).status == 403)
        let created = try await tenant.send(.POST, "/v1/service-keys", body: #"""
            {"name":"customer","permissions":{"mcp:calc/secret":["execute"]},"metadata":{"customer":"acme"}}
            """#)
        let serviceKey = try #require(created.json?["data"]?["token"]?.stringValue, "\(String(decoding: created.body, as: UTF8.self))")
        let answer = try await Self.post(url, call, token: serviceKey)
        #expect(answer.json?["result"]?["isError"] == .bool(false))
        // The run is told who called, with the key's metadata, and the request that made the call.
        let caller = try #require(answer.json?["result"]?["structuredContent"]?["caller"])
        #expect(caller["via"]?.stringValue == "mcp")
        #expect(caller["service"]?.stringValue == "calc")
        #expect(caller["name"]?.stringValue == "secret")
        #expect(caller["request_id"]?.stringValue == answer.headers.first(name: "X-Request-Id"))
        #expect(caller["credential"]?["kind"]?.stringValue == "service_key")
        #expect(caller["credential"]?["id"] == created.json?["data"]?["service_key_id"])
        #expect(caller["credential"]?["metadata"] == .object(["customer": "acme"]))
    }

    @Test("a batch is answered in one array under 2025-03-26, and refused under 2025-06-18")
    func batches() async throws {
        let (_, url) = try await Self.deployed()
        let batch = "[\(Self.call("echo", #"{"n":1}"#, id: 1)),{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]"
        let answer = try await Self.post(url, batch, version: "2025-03-26")
        let items = try #require(answer.json?.arrayValue)
        #expect(items.map { $0["id"] } == [.int(1), .int(2)])
        #expect(items[0]["result"]?["isError"] == .bool(false))
        #expect(try await Self.post(url, batch, version: "2025-06-18").status == 400)
    }

    @Test("a tool without a module runs at HOT_RUNTIME_URL; on an active custom domain the service answers at /mcp/<service>")
    func httpRuntimeAndDomain() async throws {
        let (tenant, url) = try await Self.deployed()
        RuntimeScript.shared.on("away", .succeed(result: ["from": "http"]))
        let remote = try #require(try await Self.post(url, Self.call("remote", "{}")).json?["result"])
        #expect(remote["structuredContent"] == .object(["from": "http"]))

        let domain = Fixtures.uniqueDomain("mcp.example.com")
        let claim = try await DomainStore(database: tenant.server.database).create(
            envId: tenant.envId, orgId: tenant.server.orgId, name: domain, limit: -1, now: Date(), lease: .seconds(60))
        let onDomain = tenant.server.baseURL + "/mcp/calc"
        let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
        #expect(try await Self.post(onDomain, list, headers: [("Host", domain)]).status == 404)
        try await tenant.server.database.client.query("UPDATE domain SET status = 'active' WHERE domain_id = \(claim.record.id)",
                                                      logger: tenant.server.logger)
        let listed = try await Self.post(onDomain, list, headers: [("Host", domain)])
        #expect(listed.json?["result"]?["tools"]?.arrayValue?.count == 3)
        // Without the domain's host, /mcp/<service> is nothing.
        #expect(try await Self.post(onDomain, list).status == 404)
    }
}

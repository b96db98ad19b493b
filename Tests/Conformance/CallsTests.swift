import Foundation
import HotRuntime
import HotTestSupport
import PostgresNIO
import Testing

/// `hot:call`: an event that calls one function of the env's deployed builds (docs/calls.md).
@Suite("Calls")
struct CallsTests {
    let embedded = EmbeddedRuntimeTests()

    func call(_ tenant: Tenant, _ data: String) async throws -> [SSEFrame] {
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"hot:call","event_data":\#(data)}"#)
        defer { feed.close() }
        #expect(feed.status == 200)
        return try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
    }

    @Test("a call runs the declared function with run_type call; its event and args reach the module; another var of the namespace runs its module too")
    func declaredAndNamespace() async throws {
        let tenant = try await embedded.deployed([(embedded.uniqueType("math"), "::math/add", "{retry: 1}")],
                                                 entries: [("math.wat", Data(WatHandler.echoStdin.utf8))])
        let frames = try await call(tenant, #"{"fn":"::math/add","args":[1,{"b":2}]}"#)
        #expect(frames.map(\.event) == ["event:published", "run:start", "run:stop"])
        let run = try #require(frames.last?.json?["run"])
        #expect(run["run_type"]?.stringValue == "call")
        let request = try #require(run["result"])
        #expect(request["run_type"]?.stringValue == "call")
        #expect(request["handler"] == .object(["ns": "::math", "var": "add", "meta": .object(["retry": .int(1)])]))
        #expect(request["event"]?["event_type"]?.stringValue == "hot:call")
        #expect(request["event"]?["event_data"]?["args"] == .array([.int(1), .object(["b": .int(2)])]))

        // Not declared, but its namespace's module is in the build: it runs, told which var.
        let other = try #require(try await call(tenant, #"{"fn":"::math/mul","args":[]}"#).last?.json?["run"])
        #expect(other["status"]?.stringValue == "succeeded")
        #expect(other["result"]?["handler"] == .object(["ns": "::math", "var": "mul", "meta": .object([:])]))
    }

    @Test("the official SDK's callHot: POST /v1/events, then the stream's feed (subscribed after the publish) gives the run:stop whose run.event_id is the event's")
    func callHotFlow() async throws {
        // What hot-js 1.2.0 does (packages/sdk/src/resources/events.ts callHot, streaming/wait.ts
        // waitForRunResult): publish, subscribe to the returned stream_id, match run:stop on
        // run.event_id, and take run.result (its `$ok` when it has one).
        let tenant = try await embedded.deployed([(embedded.uniqueType("sdk"), "::sdk/answer", "{}")],
                                                 entries: [("sdk.wat", Data(WatHandler.writing([#"{"type":"result","result":{"$ok":42}}"#]).utf8))])
        let published = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"hot:call","event_data":{"fn":"::sdk/answer","args":[]}}"#)
        let eventId = try #require(published.json?["data"]?["event_id"]?.stringValue)
        let streamId = try #require(published.json?["data"]?["stream_id"]?.stringValue)
        let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        defer { feed.close() }
        let frames = try await feed.frames(until: { frame in
            ["run:stop", "run:fail", "run:cancel"].contains(frame.event) && frame.json?["run"]?["event_id"]?.stringValue == eventId
        })
        let run = try #require(frames.last?.json?["run"])
        #expect(frames.last?.event == "run:stop")
        #expect(run["result"]?["$ok"] == .int(42))
    }

    @Test("a call of a declared function without a module goes to the HTTP runtime as run_type call")
    func httpRuntime() async throws {
        let tenant = try await embedded.deployed([(embedded.uniqueType("remote"), "::remote::fns/answer", "{}")], entries: [])
        RuntimeScript.shared.on("hot:call", .succeed(result: 42))
        let frames = try await call(tenant, #"{"fn":"::remote::fns/answer","args":["x"]}"#)
        let run = try #require(frames.last?.json?["run"])
        #expect(run["result"] == .int(42))
        let runId = try #require(run["run_id"]?.stringValue)
        let request = try #require(tenant.server.runtime.received.last { $0.runId == runId })
        #expect(request.body["run_type"]?.stringValue == "call")
        #expect(request.body["handler"]?["var"]?.stringValue == "answer")
        #expect(request.body["event"]?["event_data"]?["args"] == .array(["x"]))
    }

    @Test("a call of a function no deployed build has is handled without a run")
    func unknownFunction() async throws {
        let tenant = try await Tenant.make()
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        defer { feed.close() }
        let published = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"hot:call","event_data":{"fn":"::nowhere/nothing","args":[]}}"#)
        #expect(published.status == 201)
        let eventId = try #require(published.json?["data"]?["event_id"]?.stringValue)
        let handled = try await feed.frames(until: { $0.event == "event:handled" && $0.json?["event_id"]?.stringValue == eventId })
        #expect(handled.last?.json?["run_count"] == .int(0))
        #expect(try await tenant.send(.GET, "/v1/events/\(eventId)/runs").json?["pagination"]?["total"] == .int(0))
    }

    @Test("hot:call must describe a call (400); other hot: types stay reserved (403)", arguments: [
        (#"{"event_type":"hot:call","event_data":{"args":[]}}"#, 400),
        (#"{"event_type":"hot:call","event_data":{"fn":"no-slash","args":[]}}"#, 400),
        (#"{"event_type":"hot:call","event_data":{"fn":"::ns/","args":[]}}"#, 400),
        (#"{"event_type":"hot:call","event_data":{"fn":"::ns/f","args":{"a":1}}}"#, 400),
        (#"{"event_type":"hot:call","event_data":"::ns/f"}"#, 400),
        (#"{"event_type":"hot:schedule","event_data":{"fn":"::ns/f","args":[]}}"#, 403),
    ])
    func refused(_ body: String, _ status: Int) async throws {
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.POST, "/v1/events", body: body)
        #expect(reply.status == status)
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: body)
        #expect(feed.status == status)
        feed.close()
    }

    /// A tenant whose project `app` has `manifest` and `entries` uploaded (not deployed); the build id.
    func upload(_ tenant: Tenant, manifest: String, entries: [(String, Data)]) async throws -> UploadAnswer {
        var zip = [try ZipFixture.Entry("manifest.hot", manifest, method: .deflate)]
        for (name, data) in entries { zip.append(try ZipFixture.Entry(name, data, method: .deflate)) }
        let reply = try await tenant.upload("app", zip: SampleBundle.archive(zip))
        return UploadAnswer(status: reply.status, buildId: reply.json?["data"]?["build_id"]?.stringValue,
                                   message: reply.json?["error"]?["message"]?.stringValue)
    }

    @Test("a tool's or a webhook's function can be called; their modules are checked at upload; a webhook keeps its token across builds")
    func toolsAndWebhooks() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let manifest = """
            {"hot.bundle.app": {
              mcp_tools: {"weather": [{name: "get-forecast", fn: "::weather/forecast", input_schema: {type: "object"}}]},
              webhooks: {"hooks": [{path: "/stripe", fn: "::hooks/on-stripe"}, {path: "/other", method: "GET", fn: "::hooks/other"}]}}}
            """
        let module = Data(WatHandler.echoStdin.utf8)
        // A broken module of a tool is refused like a handler's.
        let broken = try await upload(tenant, manifest: manifest, entries: [("weather.wat", Data("(module".utf8)), ("hooks.wat", module)])
        #expect(broken.status == 400)
        #expect(broken.message?.contains("weather.wat") == true)

        let first = try await upload(tenant, manifest: manifest, entries: [("weather.wat", module), ("hooks.wat", module)])
        let buildId = try #require(first.buildId)
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let tool = try #require(try await call(tenant, #"{"fn":"::weather/forecast","args":[{"city":"Oslo"}]}"#).last?.json?["run"])
        #expect(tool["run_type"]?.stringValue == "call")
        #expect(tool["result"]?["event"]?["event_data"]?["args"] == .array([.object(["city": "Oslo"])]))
        let hook = try #require(try await call(tenant, #"{"fn":"::hooks/on-stripe","args":[]}"#).last?.json?["run"])
        #expect(hook["result"]?["handler"]?["var"]?.stringValue == "on-stripe")

        // A second build keeps each webhook's token; another path has another.
        let second = try await upload(tenant, manifest: manifest, entries: [("weather.wat", module), ("hooks.wat", module)])
        let secondId = try #require(second.buildId)
        let rows = try await tenant.server.database.client.query("""
            SELECT path, token FROM webhook WHERE build_id IN (\(UUID(uuidString: buildId)!), \(UUID(uuidString: secondId)!))
            """, logger: tenant.server.logger)
        var tokens: [(path: String, token: String)] = []
        for try await (path, token) in rows.decode((String, String).self) { tokens.append((path, token)) }
        #expect(tokens.count == 4)
        let stripe = Set(tokens.filter { $0.path == "/stripe" }.map(\.token))
        let other = Set(tokens.filter { $0.path == "/other" }.map(\.token))
        #expect(stripe.count == 1 && other.count == 1)
        #expect(stripe != other)
        #expect(tokens.allSatisfy { $0.token.count == 12 && $0.token.allSatisfy(\.isHexDigit) })
    }
}

/// What an upload answered, as the tests of this file read it.
struct UploadAnswer {
    var status: Int
    var buildId: String?
    var message: String?
}

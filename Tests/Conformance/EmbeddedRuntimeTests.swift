import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import HotWasm
import Testing

/// The embedded WebAssembly runtime over HTTP: bundles with modules uploaded, deployed and run
/// (docs/handlers.md). The test server's sandbox: 2×10^6 fuel (the example handlers use under 7×10^5), 16 MiB
/// of memory, 5 s per run.
@Suite("Embedded WebAssembly runtime")
struct EmbeddedRuntimeTests {
    /// The repository's examples/ folder.
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    /// A tenant whose project `app` deploys `fns` (event type → `fn`, meta) with `entries` beside the manifest.
    func deployed(_ fns: [(eventType: String, fn: String, meta: String)], schedules: [(cron: String, fn: String)] = [],
                  entries: [(String, Data)]) async throws -> Tenant {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let reply = try await tenant.upload("app", zip: Self.bundle(fns, schedules: schedules, entries: entries))
        guard reply.status == 201, let buildId = reply.json?["data"]?["build_id"]?.stringValue else {
            throw TestFailure("upload answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        let deploy = try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy")
        guard deploy.status == 200 else { throw TestFailure("deploy answered \(deploy.status)") }
        return tenant
    }

    static func bundle(_ fns: [(eventType: String, fn: String, meta: String)], schedules: [(cron: String, fn: String)] = [],
                       entries: [(String, Data)]) throws -> Data {
        var zip = [try ZipFixture.Entry("manifest.hot", SampleBundle.manifest(handlers: fns, schedules: schedules), method: .deflate)]
        for (name, data) in entries { zip.append(try ZipFixture.Entry(name, data, method: .deflate)) }
        return SampleBundle.archive(zip)
    }

    func uniqueType(_ label: String) -> String { "\(label):\(UUID().lowercased)" }

    /// Publishes `eventType` with `data` through subscribe-with-event and reads the feed to the run's end.
    func run(_ tenant: Tenant, _ eventType: String, data: String = "{}") async throws -> [SSEFrame] {
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(eventType)","event_data":\#(data)}"#)
        defer { feed.close() }
        #expect(feed.status == 200)
        return try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
    }

    @Test("a .wat handler runs with no runtime involved: its data streams before run:stop with its result")
    func watHandler() async throws {
        let type = uniqueType("hello")
        let text = try Data(contentsOf: Self.examples.appendingPathComponent("wat/hello.wat"))
        let tenant = try await deployed([(type, "::hello/greet", "{}")], entries: [("hello.wat", text)])
        let frames = try await run(tenant, type)
        #expect(frames.map(\.event) == ["event:published", "run:start", "stream:data", "run:stop"])
        #expect(frames[2].json?["data_type"]?.stringValue == "greeting")
        #expect(frames[2].json?["payload"]?["text"]?.stringValue == "hello")
        let run = try #require(frames.last?.json?["run"])
        #expect(run["status"]?.stringValue == "succeeded")
        #expect(run["result"] == .object(["ok": .bool(true)]))
        let runId = try #require(run["run_id"]?.stringValue)
        #expect(!tenant.server.runtime.received.contains { $0.runId == runId })
    }

    @Test("stdin is the HTTP runtime's request body, context included; argv and the environment name the run")
    func stdinAndEnvironment() async throws {
        let type = uniqueType("echo")
        let tenant = try await deployed([(type, "::shop::orders/on-order", "{retry: 0}")],
                                        entries: [("shop/orders.wat", Data(WatHandler.echoStdin.utf8))])
        #expect(try await tenant.send(.POST, "/v1/projects/app/context", body: #"{"key":"API_TOKEN","value":"s3cret"}"#).status == 201)
        let frames = try await run(tenant, type, data: #"{"order":42}"#)
        let finished = try #require(frames.last?.json?["run"])
        #expect(finished["status"]?.stringValue == "succeeded")
        let request = try #require(finished["result"])
        #expect(request["run_id"] == finished["run_id"])
        #expect(request["run_type"]?.stringValue == "event")
        #expect(request["stream_id"] == finished["stream_id"])
        #expect(request["build_id"] == finished["build_id"])
        #expect(request["handler"] == .object(["ns": "::shop::orders", "var": "on-order", "meta": .object(["retry": .int(0)])]))
        #expect(request["event"]?["event_type"]?.stringValue == type)
        #expect(request["event"]?["event_data"] == .object(["order": .int(42)]))
        #expect(request["schedule"] == .null)
        #expect(request["context"] == .object(["API_TOKEN": "s3cret"]))

        // argv[0] and the three variables, written back by a module that prints them.
        let args = uniqueType("args")
        let printer = WatHandler.command(imports: """
            (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
            """, data: WatHandler.data(#"{"type":"data","data_type":"env","payload":""#, at: 1024) + WatHandler.data("\"}\n", at: 1100)
                + WatHandler.data(#"{"type":"result","result":null}"# + "\n", at: 1200), body: """
            (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
            (drop (call $args_get (i32.const 32) (i32.const 4096)))
            (call $write (i32.const 1) (i32.const 1024) (i32.const 44))
            (call $write (i32.const 1) (i32.const 4096) (i32.sub (i32.load (i32.const 20)) (i32.const 1)))
            (call $write (i32.const 1) (i32.const 1100) (i32.const 3))
            (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
            (drop (call $environ_get (i32.const 32) (i32.const 8192)))
            ;; the variables' NULs become spaces, so the payload is one JSON string
            (call $nulToSpace (i32.const 8192) (i32.load (i32.const 20)))
            (call $write (i32.const 1) (i32.const 1024) (i32.const 44))
            (call $write (i32.const 1) (i32.const 8192) (i32.sub (i32.load (i32.const 20)) (i32.const 1)))
            (call $write (i32.const 1) (i32.const 1100) (i32.const 3))
            (call $write (i32.const 1) (i32.const 1200) (i32.const 32))
            """, extra: """
            (func $nulToSpace (param $at i32) (param $n i32)
              (loop $next
                (if (i32.gt_s (local.get $n) (i32.const 0)) (then
                  (if (i32.eqz (i32.load8_u (local.get $at))) (then (i32.store8 (local.get $at) (i32.const 32))))
                  (local.set $at (i32.add (local.get $at) (i32.const 1)))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br $next)))))
            """)
        let argsTenant = try await deployed([(args, "::tools/print-args", "{}")], entries: [("tools.wat", Data(printer.utf8))])
        let argFrames = try await run(argsTenant, args)
        let runId = try #require(argFrames.last?.json?["run"]?["run_id"]?.stringValue)
        let streamId = try #require(argFrames.last?.json?["run"]?["stream_id"]?.stringValue)
        let payloads = argFrames.filter { $0.event == "stream:data" }.compactMap { $0.json?["payload"]?.stringValue }
        #expect(payloads == ["print-args", "HOT_RUN_ID=\(runId) HOT_STREAM_ID=\(streamId) HOT_FN=::tools/print-args"])
    }

    @Test("the module is meta.wasm's entry, else <ns path>.wasm, else <ns path>.wat; other functions still go to the HTTP runtime")
    func lookup() async throws {
        let (byMeta, byWasm, byWat, http) = (uniqueType("meta"), uniqueType("wasm"), uniqueType("wat"), uniqueType("http"))
        func answering(_ text: String) -> Data { Data(WatHandler.writing([#"{"type":"result","result":"\#(text)"}"#]).utf8) }
        let wasm = Data(try WasmSandbox.compile(wat: WatHandler.writing([#"{"type":"result","result":"from wasm"}"#])))
        let tenant = try await deployed([
            (byMeta, "::a::b/x", #"{wasm: "custom/module.wat"}"#),
            (byWasm, "::a::b/y", "{}"),
            (byWat, "::c/z", "{}"),
            (http, "::elsewhere/w", "{}"),
        ], entries: [("custom/module.wat", answering("from meta")), ("a/b.wasm", wasm), ("a/b.wat", answering("from wat of a/b")),
                     ("c.wat", answering("from c.wat"))])
        RuntimeScript.shared.on(http, .succeed(result: "from http"))
        #expect(try await run(tenant, byMeta).last?.json?["run"]?["result"]?.stringValue == "from meta")
        #expect(try await run(tenant, byWasm).last?.json?["run"]?["result"]?.stringValue == "from wasm")
        #expect(try await run(tenant, byWat).last?.json?["run"]?["result"]?.stringValue == "from c.wat")
        #expect(try await run(tenant, http).last?.json?["run"]?["result"]?.stringValue == "from http")
    }

    @Test("each way a module fails is a run:fail with its kind, message and stderr; the server runs on")
    func failureKinds() async throws {
        let cases: [(kind: String, module: String)] = [
            ("trap", WatHandler.command(body: "unreachable")),
            ("exit", WatHandler.command(data: WatHandler.data("boom on stderr", at: 1024),
                                        body: "(call $write (i32.const 2) (i32.const 1024) (i32.const 14)) (call $proc_exit (i32.const 2))")),
            ("exit", WatHandler.writing([#"{"type":"data","data_type":"x","payload":1}"#])),
            ("exit", WatHandler.writing(["not json"])),
            ("fuel_exhausted", WatHandler.command(body: "(loop $forever (br $forever))")),
            ("memory_limit", WatHandler.command(body: "(drop (memory.grow (i32.const 1000)))")),
            ("trap", WatHandler.command(body: "(drop (call $fd_write (i32.const 1) (i32.const 65530) (i32.const 4) (i32.const 8)))")),
            ("trap", WatHandler.command(body: "(call $down)", extra: "(func $down (call $down))")),
        ]
        var handlers: [(eventType: String, fn: String, meta: String)] = []
        var entries: [(String, Data)] = []
        for (index, item) in cases.enumerated() {
            handlers.append((uniqueType("k\(index)"), "::m\(index)/run", "{}"))
            entries.append(("m\(index).wat", Data(item.module.utf8)))
        }
        let tenant = try await deployed(handlers, entries: entries)
        for (index, item) in cases.enumerated() {
            let frames = try await run(tenant, handlers[index].eventType)
            #expect(frames.last?.event == "run:fail", "case \(index)")
            let error = frames.last?.json?["run"]?["result"]
            #expect(error?["kind"]?.stringValue == item.kind, "case \(index): \(String(describing: error))")
            #expect((error?["message"]?.stringValue ?? "").isEmpty == false, "case \(index)")
            #expect(error?["stderr"]?.stringValue != nil, "case \(index)")
        }
        let stderr = try await run(tenant, handlers[1].eventType).last?.json?["run"]?["result"]?["stderr"]?.stringValue
        #expect(stderr == "boom on stderr")
        // An error line is the module's own error, as it wrote it.
        let own = uniqueType("own")
        let ownTenant = try await deployed([(own, "::own/fail", "{}")],
                                           entries: [("own.wat", Data(WatHandler.writing([#"{"type":"error","error":{"code":"E42"}}"#]).utf8))])
        #expect(try await run(ownTenant, own).last?.json?["run"]?["result"] == .object(["code": "E42"]))
        #expect(try await tenant.send(.GET, "/status").status == 200)
    }

    @Test("a run past the timeout fails with kind timeout; a long run keeps its lease and runs once")
    func timeoutAndLease() async throws {
        let (slow, long) = (uniqueType("slow"), uniqueType("long"))
        let result = WatHandler.data(#"{"type":"result","result":"slept"}"# + "\n", at: 1024)
        let tenant = try await deployed([(slow, "::slow/run", "{}"), (long, "::long/run", "{}")], entries: [
            ("slow.wat", Data(WatHandler.sleeping(milliseconds: 60_000, then: "").utf8)),
            // Longer than the test server's 2 s lease: renewed meanwhile, or another worker would run it again.
            ("long.wat", Data(WatHandler.sleeping(milliseconds: 3_000, then: "(call $write (i32.const 1) (i32.const 1024) (i32.const 35))",
                                                  data: result).utf8)),
        ])
        let timedOut = try await run(tenant, slow).last?.json?["run"]?["result"]
        #expect(timedOut?["kind"]?.stringValue == "timeout")
        let frames = try await run(tenant, long)
        #expect(frames.filter { $0.event == "run:start" }.count == 1)
        #expect(frames.last?.json?["run"]?["result"]?.stringValue == "slept")
        let runId = try #require(frames.last?.json?["run"]?["run_id"]?.stringValue)
        let runs = try await tenant.send(.GET, "/v1/runs?limit=100").json?["data"]?.arrayValue ?? []
        #expect(runs.filter { $0["run_id"]?.stringValue == runId }.count == 1)
    }

    @Test("an upload whose module cannot run is a 400 naming the entry, and nothing is stored")
    func uploadRefusals() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let fn = [(eventType: "x", fn: "::bad/run", meta: "{}")]
        let cases: [(entries: [(String, Data)], fns: [(eventType: String, fn: String, meta: String)], expected: [String])] = [
            ([("bad.wasm", Data([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]))], fn, ["bad.wasm", "parse"]),
            ([("bad.wat", Data("(module (func".utf8))], fn, ["bad.wat", "WebAssembly text"]),
            ([("bad.wat", Data(#"(module (import "env" "f" (func)) (func (export "_start")))"#.utf8))], fn, ["bad.wat", "env.f"]),
            ([("bad.wat", Data(#"(module (memory (export "memory") 1) (func (export "main")))"#.utf8))], fn, ["bad.wat", "_start"]),
            ([("bad.wat", Data(#"(module (func (export "_start") (i32.add)))"#.utf8))], fn, ["bad.wat", "validate"]),
            ([("bad.wat", Data(WatHandler.command(memory: #"(memory (export "memory") 1000)"#, body: "").utf8))], fn, ["bad.wat", "memory"]),
            ([], [(eventType: "x", fn: "::bad/run", meta: #"{wasm: "missing.wasm"}"#)], ["missing.wasm"]),
            ([("bad.wasm", Data([0, 1, 2]))], [(eventType: "x", fn: "::other/run", meta: #"{wasm: "bad.wasm"}"#)], ["bad.wasm"]),
        ]
        for (index, item) in cases.enumerated() {
            let reply = try await tenant.upload("app", zip: Self.bundle(item.fns, entries: item.entries))
            #expect(reply.status == 400, "case \(index)")
            let message = reply.json?["error"]?["message"]?.stringValue ?? ""
            for word in item.expected { #expect(message.contains(word), "case \(index): \(message)") }
        }
        #expect(try await tenant.send(.GET, "/v1/projects/app/builds").json?["pagination"]?["total"] == .int(0))
        // An unused broken module is only an entry of the archive.
        let unused = try await tenant.upload("app", zip: Self.bundle([], entries: [("bad.wasm", Data([1, 2, 3]))]))
        #expect(unused.status == 201)
    }

    @Test("a failed module run is retried in the module (meta retry), linked by origin_run_id")
    func retry() async throws {
        let type = uniqueType("retry")
        let tenant = try await deployed([(type, "::flaky/run", "{retry: 1}")], entries: [("flaky.wat", Data(WatHandler.command(body: "unreachable").utf8))])
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        defer { feed.close() }
        var failed: [JSONValue] = []
        _ = try await feed.frames(until: { frame in
            if frame.event == "run:fail", let run = frame.json?["run"] { failed.append(run) }
            return failed.count == 2
        })
        // Both in the module: a retry sent to the HTTP runtime would not fail with the module's trap.
        #expect(failed.map { $0["result"]?["kind"]?.stringValue } == ["trap", "trap"])
        #expect(failed[1]["origin_run_id"] == failed[0]["run_id"])
    }

    @Test("a schedule whose namespace has a module runs in the module")
    func schedule() async throws {
        let tenant = try await deployed([], schedules: [("* * * * *", "::nightly/report")],
                                        entries: [("nightly.wat", Data(WatHandler.echoStdin.utf8))])
        // This env's schedule alone is fired (a scheduler's tick would fire other tests' schedules too).
        let router = RunRouter(database: tenant.server.database, pubsub: tenant.server.pubsub)
        let schedule = try #require(try await router.deployedSchedules().first { $0.envId == tenant.envId })
        #expect(schedule.module == "nightly.wat")
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        defer { feed.close() }
        #expect(try await router.fire(schedule, at: Date()) != nil)
        let stop = try #require(try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" }).last)
        #expect(stop.event == "run:stop")
        let request = try #require(stop.json?["run"]?["result"])
        #expect(request["run_type"]?.stringValue == "schedule")
        #expect(request["schedule"]?["cron"]?.stringValue == "* * * * *")
        #expect(request["handler"]?["var"]?.stringValue == "report")
        let runId = try #require(stop.json?["run_id"]?.stringValue)
        #expect(!tenant.server.runtime.received.contains { $0.runId == runId })
    }

    @Test("200 events handled by a module at once: 200 runs, all succeeded")
    func concurrentRuns() async throws {
        let type = uniqueType("many")
        let tenant = try await deployed([(type, "::many/run", "{}")],
                                        entries: [("many.wat", Data(WatHandler.writing([#"{"type":"result","result":"ok"}"#]).utf8))])
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        defer { feed.close() }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask { try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(type)","event_data":{}}"#).status }
            }
            for try await status in group { #expect(status == 201) }
        }
        var ended: [String: String] = [:]
        _ = try await feed.frames(until: { frame in
            if frame.event == "run:stop" || frame.event == "run:fail", let runId = frame.json?["run_id"]?.stringValue {
                ended[runId] = frame.event
            }
            return ended.count == 200
        }, within: .seconds(120))
        #expect(ended.count == 200)
        #expect(ended.values.allSatisfy { $0 == "run:stop" })
    }

    @Test("the example handlers (C, Embedded Swift) succeed", arguments: ["c/handler.wasm", "swift/handler.wasm"])
    func examples(_ path: String) async throws {
        let type = uniqueType("example")
        let module = try Data(contentsOf: Self.examples.appendingPathComponent(path))
        let tenant = try await deployed([(type, "::example/on-event", "{}")], entries: [("example.wasm", module)])
        let frames = try await run(tenant, type, data: #"{"name":"Ada"}"#)
        #expect(frames.last?.event == "run:stop", "\(frames.last.map(String.init(describing:)) ?? "no frame")")
        #expect(frames.contains { $0.event == "stream:data" })
        #expect(frames.last?.json?["run"]?["status"]?.stringValue == "succeeded")
    }
}

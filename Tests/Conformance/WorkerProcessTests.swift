import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// Runs across real `hot-server` processes: one killed with SIGKILL mid-run (another runs it once
/// the lease the dead one held expires), and one with no runtime (the run waits for one that has).
@Suite("Worker processes")
struct WorkerProcessTests {
    @Test("kill -9 of the process running a run: the run completes on another process after the lease expires")
    func killMidRun() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-crash-\(UUID().lowercased)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // The managed cluster runs as the postgres account when the tests run as root.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dataDirectory.path)
        // The runtime never answers the first request (the process dies holding it), then succeeds.
        let runtime = try await TestRuntime.start { run in run.number == 1 ? .hang : .succeed(result: "survived") }
        var started: [ServeProcess] = []
        try await CrashReliabilityTests.finally {
            let settings = ["HOT_RUNTIME_URL": runtime.url, "HOT_RUN_LEASE": "2"]
            let first = try await ServeProcess.start(dataDirectory, environment: settings)
            started.append(first)
            var tenant = try await first.tenant(dataDirectory)
            try await tenant.deployHandler(project: "app", eventType: "crash:test", fn: "::app/on-crash")
            let published = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"crash:test","event_data":{}}"#)
            let streamId = try #require(published.json?["data"]?["stream_id"]?.stringValue)

            // The run is in flight on the first process; it dies without a word.
            let inFlight = try await runtime.run(1, within: .seconds(30))
            try await first.kill()

            let second = try await ServeProcess.start(dataDirectory, environment: settings)
            started.append(second)
            let again = try await runtime.run(2, within: .seconds(30))
            #expect(again.runId == inFlight.runId)
            tenant.server.baseURL = second.baseURL
            let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
            let stop = try #require(try await feed.frames(until: { $0.event == "run:stop" }).last)
            feed.close()
            #expect(stop.json?["run"]?["run_id"]?.stringValue == inFlight.runId)
            #expect(stop.json?["run"]?["result"]?.stringValue == "survived")
            #expect(try await second.stop() == 0)
        } tearDown: {
            for process in started { await CrashReliabilityTests.stopIfRunning(process) }
            // The first process started the cluster and died: stop it by hand, and let it go before
            // its directory is removed.
            await CrashReliabilityTests.stopLeftCluster(dataDirectory)
            try? FileManager.default.removeItem(at: dataDirectory)
            await runtime.stop()
        }
    }

    @Test("with no runtime configured, a run waits in the queue; a server with a runtime runs it later")
    func noRuntimeKeepsRunsQueued() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-queued")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let first = try await ServeProcess.start(dataDirectory, environment: ["HOT_RUNTIME_URL": ""])
        var tenant = try await first.tenant(dataDirectory)
        try await tenant.deployHandler(project: "app", eventType: "queued:test", fn: "::app/on-queued")

        // Routed into a run (the event is handled), which nobody executes.
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"queued:test","event_data":{}}"#).status == 201)
        let handled = try #require(try await feed.frames(until: { $0.event == "event:handled" }).last)
        feed.close()
        #expect(handled.json?["run_count"] == .int(1))
        let eventId = try #require(handled.json?["event_id"]?.stringValue)
        let runs = try await tenant.send(.GET, "/v1/events/\(eventId)/runs")
        let run = try #require(runs.json?["data"]?[0])
        #expect(run["status"]?.stringValue == "running")
        #expect(run["stop_time"] == .null)
        #expect(try await first.stop() == 0)

        // A server with a runtime picks the run up.
        let runtime = try await TestRuntime.start(.succeed(result: "ran later"))
        let second = try await ServeProcess.start(dataDirectory, environment: ["HOT_RUNTIME_URL": runtime.url])
        defer { if second.process.isRunning { second.process.terminate() } }
        let received = try await runtime.run(1, within: .seconds(30))
        #expect(received.runId == run["run_id"]?.stringValue)
        tenant.server.baseURL = second.baseURL
        let streamId = try #require(run["stream_id"]?.stringValue)
        let later = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        let stop = try #require(try await later.frames(until: { $0.event == "run:stop" }).last)
        later.close()
        #expect(stop.json?["run"]?["result"]?.stringValue == "ran later")
        #expect(try await second.stop() == 0)
        await runtime.stop()
    }

    @Test("the README walk: with no runtime configured, a bundle's .wat handler runs in the server and streams its data")
    func embeddedWithoutRuntime() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-embedded")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let server = try await ServeProcess.start(dataDirectory, environment: ["HOT_RUNTIME_URL": ""])
        defer { if server.process.isRunning { server.process.terminate() } }
        let tenant = try await server.tenant(dataDirectory)
        _ = try await tenant.createProject("shop")
        // The README's bundle: its manifest, and examples/wat/hello.wat at the namespace's path.
        let manifest = """
            {"hot.bundle.shop": {
              event_handlers: {"order:placed": [{fn: "::shop::orders/on-placed", meta: {retry: 2}}]},
              scheduled_functions: {"0 3 * * *": [{fn: "::shop::tasks/nightly-report"}]}}}
            """
        let hello = try Data(contentsOf: EmbeddedRuntimeTests.examples.appendingPathComponent("wat/hello.wat"))
        let zip = SampleBundle.archive([try ZipFixture.Entry("manifest.hot", manifest, method: .deflate),
                                        try ZipFixture.Entry("shop/orders.wat", hello, method: .deflate)])
        let buildId = try await tenant.uploadBuild("shop", zip: zip)
        #expect(try await tenant.send(.POST, "/v1/projects/shop/builds/\(buildId)/deploy").status == 200)

        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"order:placed","event_data":{"order":42}}"#)
        let frames = try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
        feed.close()
        #expect(frames.map(\.event) == ["event:published", "run:start", "stream:data", "run:stop"])
        #expect(frames[2].json?["payload"]?["text"]?.stringValue == "hello")
        #expect(frames.last?.json?["run"]?["status"]?.stringValue == "succeeded")
        #expect(frames.last?.json?["run"]?["result"] == .object(["ok": .bool(true)]))
        #expect(try await server.stop() == 0)
    }
}

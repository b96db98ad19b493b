import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// A `hot-server` killed with SIGKILL in the middle of a run: another process runs it once the
/// lease the dead one held expires.
@Suite("Worker crash")
struct WorkerCrashTests {
    struct Serving {
        var process: Process
        var baseURL: String
    }

    /// `hot-server serve --port 0` on `dataDirectory`'s managed cluster, with a 2 s run lease.
    static func serve(_ dataDirectory: URL, runtime: String) async throws -> Serving {
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = ["serve", "--port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "HOT_DATABASE_URL")
        environment["HOT_DATA_DIR"] = dataDirectory.path
        environment["HOT_LOG_LEVEL"] = "info"
        environment["HOT_RUNTIME_URL"] = runtime
        environment["HOT_RUN_LEASE"] = "2"
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for await line in ServeLifecycleTests.lines(of: stderr) {
            if line.contains("hot-server listening"), let range = line.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return Serving(process: process, baseURL: String(line[range]))
            }
        }
        throw TestFailure("hot-server serve exited before listening")
    }

    @Test("kill -9 of the process running a run: the run completes on another process after the lease expires")
    func killMidRun() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-crash-\(UUID().lowercased)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // The managed cluster runs as the postgres account when the tests run as root.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dataDirectory.path)
        defer {
            // The first process started the cluster and died: stop it by hand.
            if let pid = try? String(contentsOf: dataDirectory.appendingPathComponent("postgres/postmaster.pid"), encoding: .utf8)
                .split(separator: "\n").first.flatMap({ Int32($0) }) {
                kill(pid, SIGINT)
            }
            try? FileManager.default.removeItem(at: dataDirectory)
        }
        // The runtime never answers the first request (the process dies holding it), then succeeds.
        let runtime = try await TestRuntime.start { run in run.number == 1 ? .hang : .succeed(result: "survived") }

        let first = try await Self.serve(dataDirectory, runtime: runtime.url)
        defer { if first.process.isRunning { first.process.terminate() } }
        let keys = Process()
        keys.executableURL = CommandLineTests.executable
        keys.arguments = ["keys", "create", "--name", "crash"]
        keys.environment = ProcessInfo.processInfo.environment.merging(["HOT_DATA_DIR": dataDirectory.path, "HOT_LOG_LEVEL": "error"]) { $1 }
        let out = Pipe()
        keys.standardOutput = out
        keys.standardError = FileHandle.nullDevice
        try keys.run()
        let tokenText = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        keys.waitUntilExit()
        let token = try #require(tokenText.split(separator: "\n").last.map(String.init))

        let shared = try await TestServer.shared.running()
        var server = shared
        server.baseURL = first.baseURL
        var tenant = Tenant(server: server, envId: UUID(), envName: "development", token: token, keyId: UUID())
        _ = try await tenant.createProject("app")
        let manifest = SampleBundle.manifest(handlers: [(eventType: "crash:test", fn: "::app/on-crash", meta: "{}")])
        let buildId = try await tenant.uploadBuild("app", zip: SampleBundle.archive(manifest: manifest, method: .deflate))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let published = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"crash:test","event_data":{}}"#)
        let streamId = try #require(published.json?["data"]?["stream_id"]?.stringValue)

        // The run is in flight on the first process; it dies without a word.
        let inFlight = try await runtime.run(1, within: .seconds(30))
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let second = try await Self.serve(dataDirectory, runtime: runtime.url)
        defer { second.process.terminate(); second.process.waitUntilExit() }
        let again = try await runtime.run(2, within: .seconds(30))
        #expect(again.runId == inFlight.runId)
        tenant.server.baseURL = second.baseURL
        let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        let stop = try #require(try await feed.frames(until: { $0.event == "run:stop" }).last)
        feed.close()
        #expect(stop.json?["run"]?["run_id"]?.stringValue == inFlight.runId)
        #expect(stop.json?["run"]?["result"]?.stringValue == "survived")
        await runtime.stop()
    }
}

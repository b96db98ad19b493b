import Foundation
import HotTestSupport
import Testing

/// A `serve` process without a runtime and a `worker` process with one (`runtime`), on a database
/// of their own, both exporting spans to `receiver`; `tenant` has a project `app` on `serve`.
struct TracedProcesses {
    var receiver: OTLPReceiver
    var runtime: TestRuntime
    var database: OwnDatabase
    var dataDirectory: URL
    var serve: ServeProcess
    var worker: ServeProcess
    var tenant: Tenant

    static func start(_ prefix: String) async throws -> TracedProcesses {
        let receiver = try await OTLPReceiver.start()
        let runtime = try await TestRuntime.start(.succeed(result: ["status": 200, "body": "traced"]))
        let database = try await OwnDatabase.make(prefix.replacingOccurrences(of: "-", with: "_"))
        let dataDirectory = try ServeProcess.dataDirectory(prefix)
        let tracing = ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "HOT_DATABASE_URL": database.url]
        // The serving process has no HTTP runtime: such runs can only be run by the worker process.
        let serve = try await ServeProcess.start(dataDirectory, environment: tracing.merging(["HOT_RUNTIME_URL": ""]) { $1 })
        let worker: ServeProcess
        do {
            worker = try await ServeProcess.startWorker(dataDirectory, environment: tracing.merging(["HOT_RUNTIME_URL": runtime.url]) { $1 })
        } catch {
            serve.process.terminate()
            throw error
        }
        let tenant = try await database.tenant(baseURL: serve.baseURL)
        _ = try await tenant.createProject("app")
        return TracedProcesses(receiver: receiver, runtime: runtime, database: database, dataDirectory: dataDirectory, serve: serve,
                               worker: worker, tenant: tenant)
    }

    /// SIGTERM to whichever process still runs (a test that failed midway).
    func terminate() {
        for process in [serve.process, worker.process] where process.isRunning { process.terminate() }
    }

    /// Both processes stopped gracefully (exit 0), then the rest.
    func stop() async throws {
        #expect(try await worker.stop() == 0)
        #expect(try await serve.stop() == 0)
        await runtime.stop()
        await receiver.stop()
        await database.drop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

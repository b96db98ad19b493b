import AsyncHTTPClient
import Foundation
import HotRuntime
import HotTestSupport
import Testing

/// `hot-server serve` as an operator runs it: its own managed cluster, a free port, a signal to stop.
@Suite("Serve lifecycle")
struct ServeLifecycleTests {
    @Test("serve --port 0 starts its own cluster, logs the port, serves, and on SIGTERM ends its live feeds, exits 0 and stops the cluster")
    func serveAndStop() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-serve-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = ["serve", "--port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "HOT_DATABASE_URL")
        environment["HOT_DATA_DIR"] = dataDirectory.path
        environment["HOT_LOG_LEVEL"] = "info"
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exit = ChildProcess.Exit(process)
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Wait for the "listening" line (the process's own startup is the only thing to wait on).
        var port: Int?
        var log: [String] = []
        for await line in ChildProcess.lines(of: stderr) {
            log.append(line)
            if line.contains("hot-server listening"), let range = line.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(line[range].split(separator: ":").last ?? "")
                break
            }
        }
        let bound = try #require(port, "no listening line in: \(log.joined(separator: "\n"))")
        #expect(bound != 0)

        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(bound)/status"), timeout: .seconds(10))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 1 << 16)
        #expect(try JSONValue.parse(Data(buffer: body))["status"] == "ok")

        let postmasterPid = dataDirectory.appendingPathComponent("postgres/postmaster.pid")
        #expect(FileManager.default.fileExists(atPath: postmasterPid.path))
        // The key for secrets at rest was generated, readable by the owner only.
        let keyAttributes = try FileManager.default.attributesOfItem(atPath: dataDirectory.appendingPathComponent("encryption.key").path)
        #expect((keyAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        // A live feed open at shutdown (feeds last 5 minutes) ends at once rather than hold the server.
        var server = try await TestServer.shared.running()
        server.baseURL = "http://127.0.0.1:\(bound)"
        let tenant = Tenant(server: server, envId: UUID(), envName: "development", token: try await ServeProcess.createKey(dataDirectory), keyId: UUID())
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        #expect(feed.status == 200)

        process.terminate()  // SIGTERM
        #expect(try await feed.next() == nil)
        #expect(try await exit.status(within: .seconds(30)) == 0)
        // The cluster this process started is stopped: PostgreSQL removes its pid file on shutdown.
        #expect(!FileManager.default.fileExists(atPath: postmasterPid.path))
    }
}

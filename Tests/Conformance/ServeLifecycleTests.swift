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
        let serving = try await ServeProcess.start(dataDirectory, environment: [:])
        defer { if serving.process.isRunning { serving.process.terminate() } }
        let bound = try #require(Int(serving.baseURL.split(separator: ":").last ?? ""))
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
        let tenant = try await serving.tenant(dataDirectory)
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        #expect(feed.status == 200)

        serving.process.terminate()  // SIGTERM
        #expect(try await feed.next() == nil)
        #expect(try await serving.exit.status(within: .seconds(30)) == 0)
        // The cluster this process started is stopped: PostgreSQL removes its pid file on shutdown.
        #expect(!FileManager.default.fileExists(atPath: postmasterPid.path))
    }
}

import AsyncHTTPClient
import Foundation
import HotRuntime
import Testing

/// `hot-server serve` as an operator runs it: its own managed cluster, a free port, a signal to stop.
@Suite("Serve lifecycle")
struct ServeLifecycleTests {
    /// Lines of a pipe, read on a thread of their own so the test can wait for one with a deadline.
    static func lines(of pipe: Pipe) -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...newline)
                    }
                }
                continuation.finish()
            }
        }
    }

    @Test("serve --port 0 starts its own cluster, logs the port, serves, and on SIGTERM exits 0 and stops the cluster")
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
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Wait for the "listening" line (the process's own startup is the only thing to wait on).
        var port: Int?
        var log: [String] = []
        for await line in Self.lines(of: stderr) {
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

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The cluster this process started is stopped: PostgreSQL removes its pid file on shutdown.
        #expect(!FileManager.default.fileExists(atPath: postmasterPid.path))
    }
}

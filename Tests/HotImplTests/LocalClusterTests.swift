import Foundation
import HotImpl
import HotLocalCluster
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The managed cluster's process (docs/configuration.md, "The managed cluster"): run by an unprivileged
/// account (when we are root), in a process group of its own, stdin on /dev/null and output in
/// server.log; stopped, and its exit collected, by the process that started it.
@Suite("Local cluster")
struct LocalClusterTests {
    @Test("the postmaster runs unprivileged in its own process group, logs to server.log, is reused by a second instance and stopped by its starter")
    func startReuseStop() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-cluster-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("postgres")
        let logger = Logger(label: "local-cluster-tests")
        let cluster = LocalCluster(configuration: LocalClusterConfiguration(dataDirectory: data, durable: false), logger: logger)
        let endpoint = try await cluster.start()
        #expect(endpoint.startedByThisProcess)
        let pid = endpoint.postmasterPID

        #if os(Linux)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> [String] {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).map(String.init) } ?? []
        }
        if geteuid() == 0 {
            let account = try #require(getpwnam("postgres")?.pointee)
            // Real, effective, saved and filesystem ids all the account's; no supplementary group.
            #expect(field("Uid") == Array(repeating: String(account.pw_uid), count: 4))
            #expect(field("Gid") == Array(repeating: String(account.pw_gid), count: 4))
            #expect(field("Groups") == [])
        } else {
            #expect(field("Uid").first == String(geteuid()))
        }
        #expect(getpgid(pid) == pid)
        #expect(getpgid(pid) != getpgid(0))
        func link(_ fd: Int) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)") }
        #expect(link(0) == "/dev/null")
        #expect(link(1) == data.appendingPathComponent("server.log").path)
        #expect(link(2) == data.appendingPathComponent("server.log").path)
        #endif

        // A second instance on the same directory reuses the running postmaster and leaves it running.
        let second = LocalCluster(configuration: LocalClusterConfiguration(dataDirectory: data, durable: false), logger: logger)
        let reused = try await second.start()
        #expect(!reused.startedByThisProcess)
        #expect(reused.postmasterPID == pid)
        try await second.stop()
        #expect(kill(pid, 0) == 0)

        // The starter stops it and collects its exit: no zombie is left under that pid.
        let pidFile = data.appendingPathComponent("postmaster.pid").path
        #expect(FileManager.default.fileExists(atPath: pidFile))
        try await cluster.stop()
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
        #expect(!FileManager.default.fileExists(atPath: pidFile))
        #expect(await cluster.endpoint == nil)

        // And starts it again on the existing cluster.
        let again = try await cluster.start()
        #expect(again.startedByThisProcess && again.postmasterPID != pid)
        try await cluster.stop()
    }

    @Test("a postmaster that cannot start is reported with its log")
    func startFailure() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-cluster-\(UUID().lowercased)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("postgres")
        // Port 0 is no port postgres accepts: it exits during start-up.
        let cluster = LocalCluster(
            configuration: LocalClusterConfiguration(dataDirectory: data, durable: false, port: 0), logger: Logger(label: "local-cluster-tests"))
        do {
            _ = try await cluster.start()
            Issue.record("a postmaster on port 0 started")
        } catch let error as LocalClusterError {
            guard case .startFailed(let status, let logTail) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(status.hasPrefix("exit status"))
            #expect(logTail.contains("port"))
        }
        #expect(await cluster.endpoint == nil)
    }
}

import Foundation
import HotTestSupport

/// A real `hot-server serve --port 0` process on a data directory of its own (its managed cluster).
struct ServeProcess {
    var process: Process
    var baseURL: String
    var exit: ChildProcess.Exit
    /// Its stderr, line by line, as it comes.
    var log: URL

    /// The first line of its log that contains `text`, waiting (up to 30 s) for it to come.
    func logLine(containing text: String) async throws -> String {
        let log = log
        return try await Deadline.within(.seconds(30), waitingFor: "a log line with '\(text)'") {
            while true {
                let lines = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let line = lines.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
                // Polls the file it is written to (the deadline bounds it).
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// SIGTERM, then its exit status once it has stopped (its cluster too).
    @discardableResult
    func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        return try await exit.status(within: .seconds(60))
    }

    /// SIGKILL: it dies at once, leaving what it held (its cluster runs on).
    func kill() async throws {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = try await exit.status(within: .seconds(30))
    }

    /// Starts it with `environment` added to this process's (HOT_DATABASE_URL removed), and
    /// returns once it listens.
    static func start(_ dataDirectory: URL, environment extra: [String: String], arguments: [String] = []) async throws -> ServeProcess {
        try await start(dataDirectory, command: ["serve", "--port", "0"] + arguments, environment: extra)
    }

    /// A `hot-server worker` process instead (no listener: `baseURL` is empty), returned once it
    /// has started.
    static func startWorker(_ dataDirectory: URL, environment extra: [String: String], workers: Int = 2) async throws -> ServeProcess {
        try await start(dataDirectory, command: ["worker", "--workers", "\(workers)"], environment: extra)
    }

    private static func start(_ dataDirectory: URL, command: [String], environment extra: [String: String]) async throws -> ServeProcess {
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = command
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "HOT_DATABASE_URL")
        environment["HOT_DATA_DIR"] = dataDirectory.path
        environment["HOT_LOG_LEVEL"] = "info"
        environment.merge(extra) { $1 }
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exit = ChildProcess.Exit(process)
        try process.run()
        // Its log, kept beside its data (a test that fails can read it there while it runs).
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let log = dataDirectory.appendingPathComponent("serve-\(process.processIdentifier).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let file = try FileHandle(forWritingTo: log)
        var lines = ChildProcess.lines(of: stderr).makeAsyncIterator()
        while let line = await lines.next() {
            file.write(Data((line + "\n").utf8))
            let address = line.contains("hot-server listening") ? line.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) : nil
            if address != nil || (command.first == "worker" && line.contains("worker started")) {
                let rest = lines
                Task.detached {
                    var rest = rest
                    while let line = await rest.next() { file.write(Data((line + "\n").utf8)) }
                }
                return ServeProcess(process: process, baseURL: address.map { String(line[$0]) } ?? "", exit: exit, log: log)
            }
        }
        throw TestFailure("hot-server \(command[0]) exited before it started")
    }

    /// A tenant of the data directory's default env on this process, with a key made by the CLI.
    func tenant(_ dataDirectory: URL) async throws -> Tenant {
        var server = try await TestServer.shared.running()
        server.baseURL = baseURL
        return Tenant(server: server, envId: UUID(), envName: "development", token: try await Self.createKey(dataDirectory), keyId: UUID())
    }

    /// An API key of the data directory's default env, made with `hot-server keys create`.
    static func createKey(_ dataDirectory: URL) async throws -> String {
        var environment = ProcessInfo.processInfo.environment.merging(["HOT_DATA_DIR": dataDirectory.path, "HOT_LOG_LEVEL": "error"]) { $1 }
        environment.removeValue(forKey: "HOT_DATABASE_URL")
        let output = try await ChildProcess.run(CommandLineTests.executable, ["keys", "create", "--name", "test"], environment: environment)
        guard output.status == 0, let token = output.stdout.split(separator: "\n").last.map(String.init) else {
            throw TestFailure("keys create failed: \(output.stderr)")
        }
        return token
    }

    /// A data directory the managed cluster can use (it runs as the postgres account when the
    /// tests run as root).
    static func dataDirectory(_ prefix: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().lowercased)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        return directory
    }
}

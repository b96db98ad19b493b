import Foundation
import HotImpl
import HotRuntime
import Testing

/// Drives the built `hot-server` executable as operators' scripts do (CONTRACT.md).
@Suite("Command line")
struct CommandLineTests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable sits next to the test bundle in the build folder.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("hot-server").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("hot-server")
    }

    func run(_ arguments: [String]) async throws -> Result {
        let server = try await TestServer.shared.running()
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = server.databaseURL
        environment["HOT_LOG_LEVEL"] = "error"
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // A command that hangs fails the test instead of stalling the suite.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        // Read both pipes to the end before waiting, so a full pipe cannot stall the child.
        async let out = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
        let (outData, errData) = await (out, err)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test("keys create prints a working token as the last line, in the env it names")
    func createKey() async throws {
        let env = "cli-\(UUID().lowercased)"
        let result = try await run(["keys", "create", "--env", env, "--name", "ci", "--permissions", #"{"env:*":["read"]}"#])
        #expect(result.status == 0, "\(result.stderr)")
        let token = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        #expect(APIKeyToken.parse(token) != nil)
        let tenant = try await Tenant.make()
        let reply = try await tenant.send(.GET, "/v1/env", token: token)
        #expect(reply.status == 200)
        #expect(reply.json?["data"]?["name"]?.stringValue == env)
        // Restricted as asked: no project permission.
        #expect(try await tenant.send(.GET, "/v1/projects/x", token: token).status == 403)

        let listed = try await run(["keys", "list", "--env", env])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains(env) && listed.stdout.contains("ci"))
        #expect(!listed.stdout.contains(String(token.suffix(64))))

        let id = try #require(APIKeyToken.parse(token)?.keyId.lowercased)
        #expect(try await run(["keys", "revoke", id]).status == 0)
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 401)
    }

    @Test("migrate on an up-to-date database applies nothing and exits 0")
    func migrate() async throws {
        let result = try await run(["migrate"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
    }

    @Test("org set-plan changes the default org's plan in the database")
    func setPlan() async throws {
        let server = try await TestServer.shared.running()
        // enterprise and self-hosted are both unlimited, so the suites running beside this one
        // on the default org are not rate limited meanwhile.
        let result = try await run(["org", "set-plan", "enterprise"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("plan enterprise"))
        #expect(try await OrgStore(database: server.database).ensureDefault().plan == "enterprise")
        #expect(try await run(["org", "set-plan", "self-hosted"]).status == 0)
        #expect(try await OrgStore(database: server.database).ensureDefault().plan == "self-hosted")
    }

    @Test("bad input exits non-zero with a one-line reason on stderr", arguments: [
        ["keys", "create", "--permissions", "{not json"],
        ["keys", "create", "--permissions", #"{"mcp:*":["create"]}"#],
        ["org", "set-plan", "platinum"],
        ["keys", "revoke", "not-a-uuid"],
        ["keys", "revoke", "00000000-0000-0000-0000-000000000000"],
    ])
    func badInput(_ arguments: [String]) async throws {
        let result = try await run(arguments)
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
        #expect(result.stdout.isEmpty)
    }

    @Test("an unreachable database exits non-zero with one line")
    func unreachableDatabase() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["migrate"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
        environment["HOT_DATABASE_CONNECT_TIMEOUT"] = "2"
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = Pipe()
        try process.run()
        let errData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let lines = String(decoding: errData, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("hot-server:") }
        #expect(lines.count == 1)
    }
}

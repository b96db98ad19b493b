import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// Drives the built `hot-server` executable as operators' scripts do (docs/commands.md).
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
        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = server.databaseURL
        environment["HOT_LOG_LEVEL"] = "error"
        let output = try await ChildProcess.run(Self.executable, arguments, environment: environment)
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr)
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

        let keyId = try #require(APIKeyToken.parse(token)?.keyId)
        #expect(try await run(["keys", "revoke", keyId.lowercased]).status == 0)
        try await tenant.server.evicted(keyId)
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
        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
        environment["HOT_DATABASE_CONNECT_TIMEOUT"] = "2"
        let output = try await ChildProcess.run(Self.executable, ["migrate"], environment: environment)
        #expect(output.status != 0)
        let lines = output.stderr.split(separator: "\n").filter { $0.hasPrefix("hot-server:") }
        #expect(lines.count == 1)
    }
}

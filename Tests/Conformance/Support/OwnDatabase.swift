import Foundation
import HotTestSupport
import PostgresNIO
import Testing

/// A database of a test's own on the shared test cluster (migrated), for processes that must share
/// it without the in-process test server's workers taking their runs.
struct OwnDatabase: Sendable {
    var name: String
    var url: String
    var server: TestServer.Running

    static func make(_ prefix: String) async throws -> OwnDatabase {
        let server = try await TestServer.shared.running()
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await server.database.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: server.logger)
        var components = try #require(URLComponents(string: server.databaseURL))
        components.path = "/\(name)"
        return OwnDatabase(name: name, url: try #require(components.string), server: server)
    }

    /// A tenant of its default env, with a key made by the CLI, on the server at `baseURL`.
    func tenant(baseURL: String) async throws -> Tenant {
        var environment = ProcessInfo.processInfo.environment
        environment["HOT_DATABASE_URL"] = url
        environment["HOT_LOG_LEVEL"] = "error"
        let key = try await ChildProcess.run(CommandLineTests.executable, ["keys", "create", "--name", "test"], environment: environment)
        let token = try #require(key.stdout.split(separator: "\n").last.map(String.init), "keys create: \(key.stderr)")
        var server = server
        server.baseURL = baseURL
        return Tenant(server: server, envId: UUID(), envName: "development", token: token, keyId: UUID())
    }

    func drop() async {
        _ = try? await server.database.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: server.logger)
    }
}

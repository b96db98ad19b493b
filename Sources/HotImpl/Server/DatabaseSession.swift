import Foundation
import HotLocalCluster
import Logging
import PostgresNIO

/// Opens the configured database for the length of a body: the managed local cluster when no
/// URL is configured (started if needed, stopped afterwards if this process started it), a running
/// `PostgresClient`, migrations applied, and the default org and env in place.
public enum DatabaseSession {
    public struct Defaults: Sendable {
        public var orgId: UUID
        public var envId: UUID
    }

    public static func with<Result: Sendable>(
        _ configuration: HotConfiguration, logger: Logger,
        _ body: @escaping @Sendable (Database, Defaults) async throws -> Result
    ) async throws -> Result {
        try await withCluster(configuration, logger: logger) { clientConfiguration in
            try await withClient(
                clientConfiguration, connectTimeout: .seconds(configuration.databaseConnectTimeout), logger: logger, body)
        }
    }

    /// How to reach the configured database for the length of `body`: the URL's server, or the
    /// managed local cluster (started if needed, stopped afterwards if this process started it).
    public static func withCluster<Result: Sendable>(
        _ configuration: HotConfiguration, logger: Logger,
        _ body: @escaping @Sendable (PostgresClient.Configuration) async throws -> Result
    ) async throws -> Result {
        if let url = configuration.databaseURL {
            return try await body(try DatabaseURL.configuration(url))
        }
        let cluster = LocalCluster(
            configuration: LocalClusterConfiguration(
                dataDirectory: configuration.dataDirectory.appendingPathComponent("postgres", isDirectory: true),
                durable: configuration.durableLocalDatabase),
            logger: logger)
        let endpoint = try await cluster.start()
        do {
            let result = try await body(PostgresClient.Configuration(
                unixSocketPath: endpoint.socketPath, username: endpoint.username, password: nil, database: endpoint.database))
            try await cluster.stop()
            return result
        } catch {
            do {
                try await cluster.stop()
            } catch let stopError {
                logger.warning("could not stop the local PostgreSQL after a failure; it may keep running", metadata: [
                    "error": "\(stopError)",
                ])
            }
            throw error
        }
    }

    /// The pool retries a server that does not answer for as long as a request waits; a command
    /// must instead fail promptly, with a reason.
    static func waitForConnection(_ client: PostgresClient, timeout: Duration, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.query("SELECT 1", logger: logger)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw DatabaseError.unreachable("no connection within \(timeout.components.seconds) s (check HOT_DATABASE_URL and that the server runs)")
            }
        }
    }

    private static func withClient<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, connectTimeout: Duration, logger: Logger,
        _ body: @escaping @Sendable (Database, Defaults) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // The pool runs beside the body and is cancelled when the body is done. It is not awaited:
        // its forced shutdown can wait on a connection still being made (seen under load), and a
        // command must not hang on that once its work is finished.
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        let database = Database(client: client, logger: logger)
        try await waitForConnection(client, timeout: connectTimeout, logger: logger)
        try await Migrator(client: client, logger: logger).migrate()
        let org = try await OrgStore(database: database).ensureDefault()
        let env = try await EnvStore(database: database).ensure(name: EnvStore.defaultName, orgId: org.id)
        return try await body(database, Defaults(orgId: org.id, envId: env.envId))
    }
}

import Foundation
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
        var cluster: LocalCluster?
        let clientConfiguration: PostgresClient.Configuration
        if let url = configuration.databaseURL {
            clientConfiguration = try DatabaseURL.configuration(url)
        } else {
            let local = LocalCluster(
                configuration: LocalClusterConfiguration(
                    dataDirectory: configuration.dataDirectory.appendingPathComponent("postgres", isDirectory: true),
                    durable: configuration.durableLocalDatabase),
                logger: logger)
            let endpoint = try await local.start()
            cluster = local
            clientConfiguration = PostgresClient.Configuration(
                unixSocketPath: endpoint.socketPath, username: endpoint.username, password: nil, database: endpoint.database)
        }
        do {
            let result = try await withClient(clientConfiguration, logger: logger, body)
            try await cluster?.stop()
            return result
        } catch {
            try? await cluster?.stop()
            throw error
        }
    }

    private static func withClient<Result: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger,
        _ body: @escaping @Sendable (Database, Defaults) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            group.addTask {
                let database = Database(client: client, logger: logger)
                try await Migrator(client: client, logger: logger).migrate()
                let org = try await OrgStore(database: database).ensureDefault()
                let env = try await EnvStore(database: database).ensure(name: EnvStore.defaultName, orgId: org.id)
                return try await body(database, Defaults(orgId: org.id, envId: env.envId))
            }
            // The body finishes first (the client runs until cancelled); then stop the client.
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let result = next { return result }
            }
            throw CancellationError()
        }
    }
}

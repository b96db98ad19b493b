import Foundation
import ServiceLifecycle

/// Opens the database once for the services that need it: waits for a connection, applies the
/// migrations, and makes sure the default org and env exist.
final class DatabaseReady: Service, Sendable {
    private let task: Task<Void, any Error>

    init(database: Database, connectTimeout: Duration) {
        // Starts at once; its queries proceed as soon as the pool (run by the group) connects.
        task = Task {
            try await DatabaseSession.waitForConnection(database.client, timeout: connectTimeout, logger: database.logger)
            try await Migrator(client: database.client, logger: database.logger).migrate()
            let org = try await OrgStore(database: database).ensureDefault()
            _ = try await EnvStore(database: database).ensure(name: EnvStore.defaultName, orgId: org.id)
        }
    }

    func wait() async throws {
        try await task.value
    }

    /// A failed start ends the process with its reason; otherwise nothing to run.
    func run() async throws {
        try await wait()
        try await gracefulShutdown()
    }
}

import Foundation
import Logging
import PostgresNIO

/// Notifications other than stream messages on the `hot` channel.
public enum Notifications {
    /// Tells idle workers of every process that there is work (a run to execute, an event to route
    /// that was not announced by an `event:created` message, which wakes them too).
    public static func wakeWorkers(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(StreamMessages.channel), '{\"k\":\"work\"}')", logger: logger)
    }
}

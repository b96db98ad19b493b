import Foundation
import Logging
import PostgresNIO

/// Live messages between processes. A message is published inside the writer's transaction, so it
/// goes out when what it reports commits (never before, never if it rolls back), and it reaches the
/// subscribers of every process sharing the database.
public protocol PubSub: Sendable {
    /// Publishes as part of the transaction `connection` is in.
    func publish(_ message: StreamMessages.Outgoing, on connection: PostgresConnection, logger: Logger) async throws
    /// Publishes on its own (a message no other write goes with).
    func publish(_ message: StreamMessages.Outgoing) async throws
    /// The env's messages (`streamId` nil) or one stream's, from now on.
    func subscribe(envId: UUID, streamId: UUID?) -> StreamHub.Subscription
    /// Ends a subscription whose taker will not read it.
    func unsubscribe(_ subscription: StreamHub.Subscription)
}

/// PostgreSQL LISTEN/NOTIFY: each message is a `stream_message` row (its seq the SSE id, so clients
/// resume) and a notification on the `hot` channel (by reference when over NOTIFY's 8 kB). Each
/// process listens on one dedicated connection (`listener`) and fans out to its subscribers
/// through its hub.
public struct PostgresPubSub: PubSub {
    let database: Database
    /// This process's subscribers.
    public let hub: StreamHub

    public init(database: Database, hub: StreamHub = StreamHub()) {
        self.database = database
        self.hub = hub
    }

    public func publish(_ message: StreamMessages.Outgoing, on connection: PostgresConnection, logger: Logger) async throws {
        try await StreamMessages.insert(message, on: connection, logger: logger)
    }

    public func publish(_ message: StreamMessages.Outgoing) async throws {
        try await StreamMessages.insert(message, database: database)
    }

    public func subscribe(envId: UUID, streamId: UUID?) -> StreamHub.Subscription {
        hub.subscribe(envId: envId, streamId: streamId)
    }

    public func unsubscribe(_ subscription: StreamHub.Subscription) {
        hub.end(subscription)
    }

    /// The receiving half, a service of the process: the LISTEN connection that feeds the hub
    /// (and wakes `work`'s workers when there is work, and evicts changed credentials from `credentials`).
    public func listener(work: WorkSignal, credentials: CredentialCache? = nil, projects: ProjectCache? = nil) -> NotificationListener {
        NotificationListener(database: database, hub: hub, work: work, credentials: credentials, projects: projects)
    }
}

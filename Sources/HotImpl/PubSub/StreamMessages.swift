import Foundation
import HotRuntime
import Logging
import PostgresNIO

/// What live streams carry. Each message is a row of `stream_message` (its `seq` is the SSE id,
/// so a client can resume) and a notification on the `hot` channel, both in the writer's
/// transaction: subscribers on every process see it once it commits. A payload too large for a
/// notification travels by reference (its seq) and is read back by the listener.
public enum StreamMessages {
    public static let channel = "hot"
    /// PostgreSQL refuses notification payloads of 8000 bytes and more; larger data stays in the row.
    static let inlineLimit = 7000

    /// A live message to publish, its data built through the spec's event types (`LiveEvent`).
    public struct Outgoing: Sendable {
        public var envId: UUID
        public var streamId: UUID?
        public var projectId: UUID?
        /// The SSE event name (`run:start`, `stream:data`, …).
        public let event: String
        /// The `data:` JSON.
        public let data: String
        /// The env feed's `data:` when it differs.
        public let envData: String?

        /// A message in one form, for whichever feeds show its event.
        public init<Event: LiveEvent>(envId: UUID, streamId: UUID?, projectId: UUID? = nil, _ payload: Event) {
            self.envId = envId
            self.streamId = streamId
            self.projectId = projectId
            self.event = Event.event
            self.data = payload.json
            self.envData = nil
        }

        /// A message that stream feeds and the env feed show in forms of their own (`run:*`), both
        /// of the same event.
        public init<Event: LiveEvent, EnvEvent: LiveEvent>(
            envId: UUID, streamId: UUID?, projectId: UUID? = nil, _ payload: Event, env envPayload: EnvEvent
        ) {
            precondition(Event.event == EnvEvent.event, "\(Event.self) and \(EnvEvent.self) are data of different events")
            self.envId = envId
            self.streamId = streamId
            self.projectId = projectId
            self.event = Event.event
            self.data = payload.json
            self.envData = envPayload.json
        }
    }

    static func statement(_ message: Outgoing) -> PostgresQuery {
        """
            WITH m AS (
                INSERT INTO stream_message (env_id, stream_id, project_id, event, data, env_data)
                VALUES (\(message.envId), \(message.streamId), \(message.projectId), \(message.event), \(message.data), \(message.envData))
                RETURNING seq, env_id, stream_id, project_id, event, data, env_data
            )
            SELECT pg_notify(\(channel), CASE
                WHEN octet_length(m.data) + coalesce(octet_length(m.env_data), 0) < \(inlineLimit) THEN
                    json_build_object('k', 'msg', 'seq', m.seq, 'env', m.env_id, 'stream', m.stream_id, 'project', m.project_id,
                                      'event', m.event, 'data', m.data, 'env_data', m.env_data)::text
                ELSE json_build_object('k', 'msg', 'seq', m.seq)::text END)
            FROM m
            """
    }

    /// Inside a transaction: the message goes out when it commits.
    public static func insert(_ message: Outgoing, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(statement(message), logger: logger)
    }

    public static func insert(_ message: Outgoing, database: Database) async throws {
        try await database.query(statement(message))
    }

    /// Messages of a stream after `seq` (a reconnecting client's Last-Event-ID), oldest first.
    public static func stream(_ streamId: UUID, envId: UUID, after seq: Int64, database: Database) async throws -> [StreamMessage] {
        try await database.query("""
            SELECT seq, env_id, stream_id, project_id, event, data, env_data FROM stream_message
            WHERE stream_id = \(streamId) AND env_id = \(envId) AND seq > \(seq) ORDER BY seq LIMIT 10000
            """).all((Int64, UUID, UUID?, UUID?, String, String, String?).self).map(StreamMessage.init)
    }

    /// Messages of an env after `seq`, oldest first.
    public static func env(_ envId: UUID, after seq: Int64, database: Database) async throws -> [StreamMessage] {
        try await database.query("""
            SELECT seq, env_id, stream_id, project_id, event, data, env_data FROM stream_message
            WHERE env_id = \(envId) AND seq > \(seq) ORDER BY seq LIMIT 10000
            """).all((Int64, UUID, UUID?, UUID?, String, String, String?).self).map(StreamMessage.init)
    }

    /// The stream's newest message so far (0 when none).
    public static func latestSeq(of streamId: UUID, database: Database) async throws -> Int64 {
        try await database.query("SELECT coalesce(max(seq), 0) FROM stream_message WHERE stream_id = \(streamId)").all(Int64.self).first ?? 0
    }

    /// One message by its seq (for notifications that carried no data).
    static func message(seq: Int64, database: Database) async throws -> StreamMessage? {
        try await database.query("""
            SELECT seq, env_id, stream_id, project_id, event, data, env_data FROM stream_message WHERE seq = \(seq)
            """).all((Int64, UUID, UUID?, UUID?, String, String, String?).self).first.map(StreamMessage.init)
    }

    /// Drops messages older than `age`: live streams last minutes, reconnections come soon after.
    public static func prune(olderThan age: Duration, database: Database) async throws {
        let seconds = Double(age.components.seconds)
        try await database.query("DELETE FROM stream_message WHERE created_at < now() - make_interval(secs => \(seconds))")
    }
}

/// A message as subscribers receive it.
public struct StreamMessage: Sendable, Equatable {
    public var seq: Int64
    public var envId: UUID
    public var streamId: UUID?
    public var projectId: UUID?
    public var event: String
    /// The `data:` JSON text of a stream's feed.
    public var data: String
    /// The env feed's, when it differs.
    public var envData: String?

    public init(seq: Int64, envId: UUID, streamId: UUID?, projectId: UUID?, event: String, data: String, envData: String? = nil) {
        self.seq = seq
        self.envId = envId
        self.streamId = streamId
        self.projectId = projectId
        self.event = event
        self.data = data
        self.envData = envData
    }

    /// Not a message: the hub's pulse (`StreamHub.tick`).
    static let tick = StreamMessage(seq: -1, envId: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), streamId: nil, projectId: nil, event: "", data: "")
    var isTick: Bool { seq == -1 }

    init(_ row: (Int64, UUID, UUID?, UUID?, String, String, String?)) {
        self.init(seq: row.0, envId: row.1, streamId: row.2, projectId: row.3, event: row.4, data: row.5, envData: row.6)
    }
}

import Foundation
import Generated
import HotRuntime
import PostgresNIO
import Tracing

/// Events of an env and the streams they belong to. Publishing is one transaction: the event, its
/// stream when new, and the live messages announcing them; the event is then routed by a worker.
public struct EventStore: Sendable {
    let database: Database
    let pubsub: any PubSub

    public init(database: Database, pubsub: any PubSub) {
        self.database = database
        self.pubsub = pubsub
    }

    static let columns = "event_id, env_id, stream_id, event_type, event_data::text, event_time, created_at"
    typealias Row = (UUID, UUID, UUID, String, String, Date, Date)

    static func event(_ row: Row) throws -> Event {
        Event(eventId: row.0, envId: row.1, streamId: row.2, eventType: row.3,
              eventData: try JSONValue.parse(Data(row.4.utf8)), eventTime: row.5, createdAt: row.6)
    }

    /// Persists the event (and its stream, when `streamId` is new or nil) and wakes the workers: its
    /// `event:created` message does, on every process (`NotificationListener`), one statement less
    /// than a work notification of its own.
    /// A `streamId` the env does not have yet is created, as the reference does; one of another env is
    /// a 404. Two publications naming the same new stream at once make it once (the second waits on
    /// the first's row, then finds it).
    ///
    /// Traced as `publish <event_type>`; the event keeps that span's trace context, which its runs
    /// continue.
    public func publish(envId: UUID, eventType: String, eventData: JSONValue, streamId: UUID?) async throws -> Event {
        try await HotTracing.span("publish \(eventType)", ofKind: .producer) { span in
            span?.attributes["hot.event_type"] = eventType
            let event = try await insert(envId: envId, eventType: eventType, eventData: eventData, streamId: streamId, trace: .current)
            span?.attributes["hot.event_id"] = event.eventId.lowercased
            return event
        }
    }

    private func insert(envId: UUID, eventType: String, eventData: JSONValue, streamId: UUID?, trace: TraceContext?) async throws -> Event {
        let dataText = String(decoding: try eventData.serialized(), as: UTF8.self)
        return try await database.transaction { connection in
            let logger = database.logger
            let stream: UUID
            var created = false
            if let streamId {
                created = try await !connection.query("""
                    INSERT INTO stream (stream_id, env_id) VALUES (\(streamId), \(envId)) ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id
                    """, logger: logger).all(UUID.self).isEmpty
                if !created {
                    let owners = try await connection.query("SELECT env_id FROM stream WHERE stream_id = \(streamId)", logger: logger).all(UUID.self)
                    guard owners.first == envId else { throw StoreError.streamNotFound }
                }
                stream = streamId
            } else {
                stream = UUID.v7()
                created = true
            }
            let insert: PostgresQuery = if streamId == nil {
                // A new stream and its first event in one statement.
                """
                WITH s AS (INSERT INTO stream (stream_id, env_id) VALUES (\(stream), \(envId)) RETURNING stream_id)
                INSERT INTO event (event_id, env_id, stream_id, event_type, event_data, traceparent, tracestate)
                SELECT \(UUID.v7()), \(envId), stream_id, \(eventType), \(dataText)::jsonb, \(trace?.traceparent), \(trace?.tracestate) FROM s
                RETURNING \(unescaped: Self.columns)
                """
            } else {
                """
                INSERT INTO event (event_id, env_id, stream_id, event_type, event_data, traceparent, tracestate)
                VALUES (\(UUID.v7()), \(envId), \(stream), \(eventType), \(dataText)::jsonb, \(trace?.traceparent), \(trace?.tracestate))
                RETURNING \(unescaped: Self.columns)
                """
            }
            let rows = try await connection.query(insert, logger: logger).all(Row.self)
            let event = try Self.event(rows[0])
            if created {
                try await pubsub.publish(.init(envId: envId, streamId: stream, EnvStreamCreatedEvent.created(stream, in: envId)),
                                         on: connection, logger: logger)
            }
            try await pubsub.publish(
                .init(envId: envId, streamId: stream, EnvEventCreatedEvent(
                    eventId: event.eventId, streamId: stream, eventType: eventType, type: EnvEventCreatedEvent.event, envId: envId)),
                on: connection, logger: logger)
            return event
        }
    }

    /// Newest first; `types` limits the event types (nil: all) as the credential's `event:` grants do.
    public func list(envId: UUID, page: PageRequest, types: ProjectStore.NameFilter?) async throws -> Page<Event> {
        let all = types == nil
        let exact = types?.exact ?? []
        let prefixes = (types?.prefixes ?? []).map { ProjectStore.likeEscaped($0) + "%" }
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER ()
            FROM event WHERE env_id = \(envId) AND (\(all) OR event_type = ANY(\(exact)) OR event_type LIKE ANY(\(prefixes)))
            ORDER BY created_at DESC, event_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, UUID, UUID, String, String, Date, Date, Int).self)
        let total = try await database.total(windowCount: rows.first?.7, page: page, count: """
            SELECT count(*)::bigint FROM event
            WHERE env_id = \(envId) AND (\(all) OR event_type = ANY(\(exact)) OR event_type LIKE ANY(\(prefixes)))
            """)
        let items = try rows.map { try Self.event(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6)) }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    public func find(envId: UUID, eventId: UUID) async throws -> Event? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM event WHERE env_id = \(envId) AND event_id = \(eventId)
            """).all(Row.self).first.map(Self.event)
    }

    /// Whether the stream exists in the env.
    public func streamExists(envId: UUID, streamId: UUID) async throws -> Bool {
        !(try await database.query("""
            SELECT 1 FROM stream WHERE env_id = \(envId) AND stream_id = \(streamId)
            """).all(Int.self)).isEmpty
    }
}

extension EnvStreamCreatedEvent {
    /// `stream:created`: a stream of the env was made (by an event, or a schedule's firing).
    static func created(_ streamId: UUID, in envId: UUID) -> EnvStreamCreatedEvent {
        EnvStreamCreatedEvent(streamId: streamId, type: event, envId: envId)
    }
}

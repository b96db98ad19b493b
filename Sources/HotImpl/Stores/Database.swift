import Foundation
import HotRuntime
import Instrumentation
import Logging
import PostgresNIO
import Tracing

/// The pool and logger every store shares.
///
/// While PostgreSQL is away (stopped, restarting, unreachable) the pool keeps a request for a
/// connection waiting until it can open one, and fails it only after a minute (its circuit
/// breaker). Here a query or transaction waits at most `connectionWait` for its connection, then
/// answers 503 `service_unavailable`; one whose connection PostgreSQL closes answers the same. The
/// pool reconnects by itself once PostgreSQL is back.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// The process's instruments (queries in flight, runs ended); nil records nothing.
    public let metrics: HotMetrics?
    /// How long a query or transaction waits for a pooled connection before giving up with 503.
    public let connectionWait: Duration

    public init(client: PostgresClient, logger: Logger, metrics: HotMetrics? = nil, connectionWait: Duration = .seconds(5)) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.connectionWait = connectionWait
    }

    /// Runs `query` on a pooled connection and gives its rows, read whole.
    ///
    /// Traced (within a request's or a run's span) as a client span named after the calling
    /// function, `EventStore.list` (its statement name: the SQL's values are bound, never in it).
    @discardableResult
    func query(_ query: PostgresQuery, function: StaticString = #function, file: StaticString = #fileID) async throws -> Rows {
        let logger = logger
        return try await traced(function, file, sql: query.sql) { try await counted {
            try await DatabaseCall.run(wait: connectionWait, logger: logger) { lease in
                try await withLiveConnection { connection in
                    lease.hold(connection)
                    do {
                        return Rows(rows: try await connection.query(query, logger: logger).collect())
                    } catch where DatabaseCall.refusedUnsent(error) {
                        lease.forget()
                        throw LentClosed()
                    }
                }
            }
        } }
    }

    /// `body` in a span named after the calling function, when tracing is on and a span is active
    /// (a request's, a run's): the background loops' own statements (polls, heartbeats) start no
    /// traces of their own.
    private func traced<T>(_ function: StaticString, _ file: StaticString, sql: String?, _ body: () async throws -> T) async throws -> T {
        guard HotTracing.isEnabled, InstrumentationContext.current != nil else { return try await body() }
        let name = Self.statementName(function: function, file: file)
        return try await HotTracing.span(name, ofKind: .client) { span in
            span?.updateAttributes { attributes in
                attributes["db.system.name"] = "postgresql"
                attributes["db.query.summary"] = name
                if let sql { attributes["db.query.text"] = sql }
            }
            return try await body()
        }
    }

    /// `EventStore.list` for `list(envId:page:types:)` in `HotImpl/EventStore.swift`.
    static func statementName(function: StaticString, file: StaticString) -> String {
        let path = file.description
        let fileName = path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...]
        let type = fileName.hasSuffix(".swift") ? fileName.dropLast(6) : fileName
        let name = function.description
        return "\(type).\(name.prefix { $0 != "(" })"
    }

    /// Runs `body` on a pooled connection that is open when lent.
    ///
    /// The pool can lend a connection PostgreSQL closed a moment before, its close not yet seen by
    /// the pool (a LISTEN connection that just failed, an idle one PostgreSQL dropped), and
    /// PostgresNIO 1.33 never answers a statement written to one already closed. Such a connection
    /// (closed when lent, or `body` throws `LentClosed` because its first statement was refused
    /// unsent) is given back once its close is complete, so that the pool drops it, and another is
    /// taken; after three, 503.
    func withLiveConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        for _ in 0..<3 {
            do {
                return try await client.withConnection { connection in
                    do {
                        guard !connection.isClosed else { throw LentClosed() }
                        return try await body(connection)
                    } catch is LentClosed {
                        // Waits for the close to complete; one that completes with an error is over too.
                        try? await connection.closeFuture.get()
                        throw LentClosed()
                    }
                }
            } catch is LentClosed {
                continue
            }
        }
        throw DatabaseCall.connectionLost()
    }

    /// A connection lent closed or closing: nothing was sent on it (see `withLiveConnection`).
    struct LentClosed: Error {}

    /// Counted in the process's metrics (queries in flight) when there are any.
    private func counted<T>(_ body: () async throws -> T) async rethrows -> T {
        guard let metrics else { return try await body() }
        return try await metrics.query(body)
    }

    /// A list's total: the `count(*) OVER ()` carried by the page's first row, or, for a page past
    /// the end (no rows to carry it), the answer of `count`.
    func total(windowCount: Int?, page: PageRequest, count: PostgresQuery,
               function: StaticString = #function, file: StaticString = #fileID) async throws -> Int {
        if let windowCount { return windowCount }
        guard page.offset > 0 else { return 0 }
        return try await query(count, function: function, file: file).all(Int.self).first ?? 0
    }

    /// Runs `body` in a transaction; an error `body` throws (e.g. an APIError) comes out as itself,
    /// after the rollback, rather than wrapped.
    /// Traced as `query` is, named after the calling function.
    func transaction<Result: Sendable>(function: StaticString = #function, file: StaticString = #fileID,
                                       _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await traced(function, file, sql: nil) { try await inTransaction(body) }
    }

    private func inTransaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let logger = logger
        do {
            return try await counted {
                try await DatabaseCall.run(wait: connectionWait, logger: logger) { lease in
                    try await withLiveConnection { connection in
                        lease.hold(connection)
                        do {
                            return try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
                        } catch let error as PostgresTransactionError where error.beginError.map(DatabaseCall.refusedUnsent) == true {
                            lease.forget()
                            throw LentClosed()
                        }
                    }
                }
            }
        } catch let error as PostgresTransactionError {
            // BEGIN, COMMIT or ROLLBACK on a connection PostgreSQL closed: the outcome of a commit is
            // then unknown, but nothing was acknowledged, so 503 like any other loss of PostgreSQL.
            if let unavailable = [error.closureError, error.beginError, error.commitError].lazy.compactMap({ $0 })
                .compactMap(DatabaseCall.unavailable).first {
                throw unavailable
            }
            // The body's own error (an APIError, a unique violation), after the rollback.
            if error.rollbackError == nil, let closureError = error.closureError { throw closureError }
            throw error
        }
    }

    /// The 503 for an error that says PostgreSQL is away (for the error envelope); nil for any other.
    public static func unavailable(_ error: any Error) -> APIError? {
        DatabaseCall.unavailable(error)
    }
}

/// A query's rows, read whole (its connection already back in the pool).
struct Rows: Sendable {
    let rows: [PostgresRow]

    /// Every row decoded, in order.
    func all<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) throws -> [(repeat each Column)] {
        try rows.map { try $0.decode(columns) }
    }
}

extension PSQLError {
    /// SQLSTATE 23505: a unique constraint rejected the row.
    var isUniqueViolation: Bool { serverInfo?[.sqlState] == "23505" }
}

extension PostgresRowSequence {
    /// Every row decoded, in order.
    func all<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) async throws -> [(repeat each Column)] {
        var rows: [(repeat each Column)] = []
        for try await row in decode(columns) { rows.append(row) }
        return rows
    }
}

/// JSON stored in `jsonb` columns travels as text and is parsed here.
enum JSONColumn {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: Data(text.utf8))
    }
}

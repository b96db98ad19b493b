import Foundation
import HotRuntime
import Logging
import PostgresNIO

/// The pool and logger every store shares.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// The process's instruments (queries in flight, runs ended); nil records nothing.
    public let metrics: HotMetrics?

    public init(client: PostgresClient, logger: Logger, metrics: HotMetrics? = nil) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
    }

    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await counted { try await client.query(query, logger: logger) }
    }

    /// Counted in the process's metrics (queries in flight) when there are any.
    private func counted<T>(_ body: () async throws -> T) async rethrows -> T {
        guard let metrics else { return try await body() }
        return try await metrics.query(body)
    }

    /// A list's total: the `count(*) OVER ()` carried by the page's first row, or, for a page past
    /// the end (no rows to carry it), the answer of `count`.
    func total(windowCount: Int?, page: PageRequest, count: PostgresQuery) async throws -> Int {
        if let windowCount { return windowCount }
        guard page.offset > 0 else { return 0 }
        return try await query(count).all(Int.self).first ?? 0
    }

    /// Runs `body` in a transaction; an error `body` throws (e.g. an APIError) comes out as itself,
    /// after the rollback, rather than wrapped.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await counted {
                try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch let error as PostgresTransactionError where error.rollbackError == nil && error.closureError != nil {
            throw error.closureError!
        }
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

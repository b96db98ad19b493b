import Foundation
@testable import HotImpl
import HotRuntime
import PostgresNIO
import Testing

/// The bound on database calls, where PostgresNIO alone would wait forever.
@Suite("Reliability: database calls on a lost connection")
struct DatabaseCallTests {
    @Test("a transaction whose connection PostgreSQL terminates between two statements answers 503 within the bound, not never")
    func transactionOnTerminatedConnection() async throws {
        let server = try await TestServer.shared.running()
        let database = Database(client: server.database.client, logger: server.logger, connectionWait: .milliseconds(300))
        let began = ContinuousClock.now
        let error = await #expect(throws: APIError.self) {
            try await database.transaction { connection in
                let pid = try await connection.query("SELECT pg_backend_pid()", logger: server.logger).all(Int32.self)[0]
                try await server.database.query("SELECT pg_terminate_backend(\(pid))")
                // Until the connection has seen its end (PostgreSQL's FATAL, then the close).
                while !connection.isClosed { try await Task.sleep(for: .milliseconds(5)) }
                // The next statement goes to a closed connection.
                try await connection.query("SELECT 1", logger: server.logger)
            }
        }
        #expect(error?.status == .serviceUnavailable)
        #expect(error?.code == "service_unavailable")
        #expect(ContinuousClock.now - began < .seconds(10))
        // The pool carries on with its other connections.
        #expect(try await server.database.query("SELECT 1").all(Int.self) == [1])
    }

}

extension DatabaseCallTests {
    enum Next: String, CaseIterable, Sendable { case query, transaction }

    @Test("a connection PostgreSQL closed while lent (a LISTEN that failed) is not used again: the next query or transaction answers",
          arguments: Next.allCases, 0..<20)
    func closedConnectionNotUsedAgain(next: Next, round: Int) async throws {
        let server = try await TestServer.shared.running()
        var configuration = server.configuration
        // One connection, so the next lease can only be the one that died, or a new one.
        configuration.options.maximumConnections = 1
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: server.logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        // The bound is not what is tested: time enough for a new connection on a loaded machine.
        let database = Database(client: client, logger: server.logger, connectionWait: .seconds(5))
        // As the notification listener does: LISTEN on a pooled connection until it fails.
        await #expect(throws: (any Error).self) {
            try await database.withLiveConnection { connection in
                let pid = try await connection.query("SELECT pg_backend_pid()", logger: server.logger).all(Int32.self)[0]
                try await connection.listen(on: "hot_test_\(round)") { notifications in
                    try await server.database.query("SELECT pg_terminate_backend(\(pid))")
                    for try await _ in notifications {}
                }
            }
        }
        // At once, on the same pool: answered on a new connection. Before, about one in five found
        // the dead one lent again: a 503 after the bound, or PostgresNIO's refusal.
        do {
            switch next {
            case .query:
                #expect(try await database.query("SELECT 1").all(Int.self) == [1])
            case .transaction:
                #expect(try await database.transaction { try await $0.query("SELECT 2", logger: server.logger).all(Int.self) } == [2])
            }
        } catch {
            Issue.record("\(String(reflecting: error))")
        }
    }
}

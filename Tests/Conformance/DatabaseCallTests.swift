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

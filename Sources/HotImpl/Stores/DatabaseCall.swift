import _ConnectionPoolModule
import HotRuntime
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One query or transaction on the pool, bounded in time while PostgreSQL is away.
///
/// The work runs in a task of its own and the caller waits for whichever comes first: its answer,
/// or a 503 `service_unavailable` from the watch beside it:
/// - still waiting for a pooled connection after `wait`: the work is cancelled, which withdraws it
///   from the pool's queue, and the caller gets 503 (or the answer, if it came meanwhile);
/// - holding a connection that PostgreSQL has closed: the work is given `wait` to fail by itself,
///   then left behind, and the caller gets 503. PostgresNIO 1.33 loses a query written to a
///   connection already closed (its promise is never completed), so a transaction whose
///   connection was closed between two of its statements would otherwise wait forever, and hold
///   graceful shutdown with it;
/// - holding a live connection: no bound (a slow statement is not an unavailable database).
enum DatabaseCall {
    /// What the work tells the watch: the connection it holds, once it holds one.
    final class Lease: Sendable {
        private let held = Mutex<PostgresConnection?>(nil)
        /// Set by the watch when it cancels the work for want of a connection.
        fileprivate let timedOut = Atomic<Bool>(false)
        func hold(_ connection: PostgresConnection) { held.withLock { $0 = connection } }
        /// Back to waiting for a connection (the one held was given back unused, for another).
        func forget() { held.withLock { $0 = nil } }
        var connection: PostgresConnection? { held.withLock { $0 } }
    }

    /// The caller's answer, given once by whichever side ends first (possibly before the caller waits).
    private final class Outcome<Value: Sendable>: Sendable {
        private enum State {
            case open(CheckedContinuation<Value, any Error>?)
            case given(Result<Value, any Error>)
            case delivered
        }

        private let state = Mutex<State>(.open(nil))

        /// The caller starts waiting; an answer already given is delivered at once.
        func wait(_ continuation: CheckedContinuation<Value, any Error>) {
            let given: Result<Value, any Error>? = state.withLock { state in
                guard case .given(let result) = state else {
                    state = .open(continuation)
                    return nil
                }
                state = .delivered
                return result
            }
            if let given { continuation.resume(with: given) }
        }

        /// Gives the answer; false when one was given already.
        @discardableResult
        func give(_ result: Result<Value, any Error>) -> Bool {
            let (first, waiting): (Bool, CheckedContinuation<Value, any Error>?) = state.withLock { state in
                guard case .open(let continuation) = state else { return (false, nil) }
                state = continuation == nil ? .given(result) : .delivered
                return (true, continuation)
            }
            waiting?.resume(with: result)
            return first
        }

        var isGiven: Bool {
            state.withLock { state in
                if case .open = state { return false }
                return true
            }
        }
    }

    /// Runs `work` (which calls `lease.hold` once it holds a connection, when it can tell) under the
    /// bound described above.
    static func run<Value: Sendable>(
        wait: Duration, logger: Logger, _ work: @escaping @Sendable (Lease) async throws -> Value
    ) async throws -> Value {
        let lease = Lease()
        let outcome = Outcome<Value>()
        let worker = Task {
            do {
                outcome.give(.success(try await work(lease)))
            } catch {
                outcome.give(.failure(lease.timedOut.load(ordering: .acquiring) ? unavailableError(error, wait: wait) : error))
            }
        }
        let watch = Task {
            // Each turn waits out the bound; cancelled (the work ended first) it stops.
            while (try? await Task.sleep(for: wait)) != nil, !outcome.isGiven {
                guard let connection = lease.connection else {
                    // Still queued for a connection: withdraw it. The pool answers the cancellation
                    // at once; should the answer get lost, the next turn gives up on it.
                    if lease.timedOut.exchange(true, ordering: .acquiringAndReleasing) {
                        logger.warning("a database call cancelled for want of a connection did not end; answered 503 and left behind")
                        outcome.give(.failure(noConnection(within: wait)))
                        return
                    }
                    worker.cancel()
                    continue
                }
                if connection.isClosed {
                    // Give it one more turn to fail by itself (the usual case), then leave it. A
                    // sleep cut short is the watch's cancellation: the work ended.
                    guard (try? await Task.sleep(for: wait)) != nil else { return }
                    if outcome.give(.failure(connectionLost())) {
                        logger.warning("a database call on a connection PostgreSQL closed did not end; answered 503 and left behind")
                    }
                    return
                }
            }
        }
        // The watch has nothing left to do once the caller has its answer.
        defer { watch.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in outcome.wait(continuation) }
        } onCancel: {
            worker.cancel()
        }
    }

    /// What a call that gave up waiting answers: 503 for the cancelled wait, or the error itself
    /// when PostgreSQL answered (a constraint, say) before the cancellation took.
    private static func unavailableError(_ error: any Error, wait: Duration) -> any Error {
        if let error = error as? PSQLError, error.code == .server, unavailable(error) == nil { return error }
        if error is APIError { return error }
        return noConnection(within: wait)
    }

    /// 503 `service_unavailable`: no connection came within the bound.
    static func noConnection(within wait: Duration) -> APIError {
        APIError(status: .serviceUnavailable, code: "service_unavailable",
                        message: "The database is unavailable (no connection within \(HTTPRuntime.describe(wait))); retry shortly",
                        headers: ["Retry-After": "1"])
    }

    /// 503 `service_unavailable`: PostgreSQL went away (its connection closed or refused, the server
    /// shutting down or starting, the pool giving up).
    static func connectionLost() -> APIError {
        APIError(status: .serviceUnavailable, code: "service_unavailable",
                 message: "The database is unavailable; retry shortly", headers: ["Retry-After": "1"])
    }

    /// True for a statement PostgresNIO refused without sending, its connection already closing or
    /// closed when the statement came (so it did nothing, and another connection may run it). In
    /// PostgresNIO 1.33 that refusal is the only "closed connection" error carrying an underlying
    /// error (the close's cause); a statement in flight when its connection closes fails with the
    /// cause itself, or with a closed-connection error without one.
    static func refusedUnsent(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.underlying != nil else { return false }
        return error.code == .clientClosedConnection || error.code == .serverClosedConnection
    }

    /// The 503 for an error that says PostgreSQL is away; nil for any other error.
    static func unavailable(_ error: any Error) -> APIError? {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
                return connectionLost()
            case .server:
                // Class 08: connection exception; 57P01–57P03: admin shutdown, crash shutdown, cannot connect now.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) ? connectionLost() : nil
            default:
                return nil
            }
        case let error as ConnectionPoolError:
            return error == .connectionCreationCircuitBreakerTripped || error == .poolShutdown ? connectionLost() : nil
        case is IOError, is ChannelError:
            return connectionLost()
        default:
            return nil
        }
    }
}

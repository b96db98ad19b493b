import Foundation
import HotRuntime
import Synchronization

extension TestRuntime {
    /// The requests received, in arrival order, and the tests waiting for the N-th of them.
    final class Recorder: Sendable {
        private struct Waiter {
            let number: Int
            let continuation: CheckedContinuation<ReceivedRun, any Error>
        }

        private struct State {
            var runs: [ReceivedRun] = []
            var waiters: [Int: Waiter] = [:]
            /// Waiters cancelled before their continuation was stored. (A wait cancelled after it was answered
            /// also leaves its id here: a few bytes per such wait, for the life of one test runtime.)
            var cancelled: Set<Int> = []
            var nextId = 0
        }

        private let state = Mutex(State())

        var runs: [ReceivedRun] { state.withLock { $0.runs } }

        func record(body: Data, authorization: String?, contentType: String?, traceparent: String? = nil) -> ReceivedRun {
            let (run, ready) = state.withLock { state in
                let run = ReceivedRun(
                    number: state.runs.count + 1, body: (try? JSONValue.parse(body)) ?? .null, rawBody: body,
                    authorization: authorization, contentType: contentType, traceparent: traceparent)
                state.runs.append(run)
                let ready = state.waiters.filter { $0.value.number <= run.number }
                for id in ready.keys { state.waiters[id] = nil }
                return (run, ready.values.map { ($0.continuation, state.runs[$0.number - 1]) })
            }
            for (continuation, run) in ready { continuation.resume(returning: run) }
            return run
        }

        /// The `number`-th request (1-based), once it has arrived; throws `CancellationError` when cancelled first.
        func run(_ number: Int) async throws -> ReceivedRun {
            precondition(number >= 1, "requests are numbered from 1")
            let id = state.withLock { state in
                state.nextId += 1
                return state.nextId
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ReceivedRun, any Error>) in
                    let now: Result<ReceivedRun, any Error>? = state.withLock { state in
                        if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                        if state.runs.count >= number { return .success(state.runs[number - 1]) }
                        state.waiters[id] = Waiter(number: number, continuation: continuation)
                        return nil
                    }
                    if let now { continuation.resume(with: now) }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    guard let waiter = state.waiters.removeValue(forKey: id) else {
                        state.cancelled.insert(id)
                        return nil as Waiter?
                    }
                    return waiter
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        }
    }
}

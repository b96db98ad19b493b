import Synchronization

/// A one-way barrier for tests: `wait()` suspends until `release()` is called (or the waiting task is
/// cancelled); once released it stays open. `TestRuntime` holds a response, or the rest of a stream, at a
/// gate so a test can look at a run while the runtime is still answering it.
public final class Gate: Sendable {
    private struct State {
        var released = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before their continuation was stored.
        var cancelled: Set<Int> = []
        var nextId = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isReleased: Bool { state.withLock { $0.released } }

    /// Opens the gate for every present and future waiter.
    public func release() {
        let waiters = state.withLock { state in
            state.released = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the gate is released, or at once when the calling task is cancelled
    /// (check `isReleased` to tell which).
    public func wait() async {
        let id: Int? = state.withLock { state in
            guard !state.released else { return nil }
            state.nextId += 1
            return state.nextId
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.released || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    if !state.released { state.cancelled.insert(id) }
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}

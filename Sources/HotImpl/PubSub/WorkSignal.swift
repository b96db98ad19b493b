import Synchronization

/// Wakes this process's idle workers when a notification says there is work.
public final class WorkSignal: Sendable {
    private let waiters = Mutex<[AsyncStream<Void>.Continuation]>([])

    public init() {}

    /// A stream that yields once per signal (signals that arrive while the waiter is busy collapse into one).
    public func waiter() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        waiters.withLock { $0.append(continuation) }
        return stream
    }

    public func signal() {
        waiters.withLock { for waiter in $0 { waiter.yield() } }
    }
}

import Foundation
import Synchronization

/// Takes a subscription's messages as they are published, without a task: an SSE connection
/// served by its event loop.
public protocol MailboxReceiver: Sendable {
    /// Called in publishing order, under the hub's lock: must not block and must not call the hub.
    /// Returns false when the receiver cannot keep up; the hub then drops the subscription.
    func receive(_ message: StreamMessage) -> Bool
    /// The subscription ended (unsubscribed, dropped, or the hub closed); nothing follows.
    func end()
}

/// The receiving end of one subscription. It holds what arrives (up to its limit) until its taker
/// says how it takes messages: as an `AsyncStream`, read by a task, or pushed to a `MailboxReceiver`.
/// So a handler can subscribe first, read what it needs from the database, and only then decide.
public final class Mailbox: Sendable {
    private enum Mode {
        case holding([StreamMessage])
        case streaming(AsyncStream<StreamMessage>.Continuation)
        case pushing(any MailboxReceiver)
        /// Finished; what was held and not yet taken stays for the taker.
        case ended([StreamMessage])
    }

    private let mode = Mutex(Mode.holding([]))
    /// Messages held (or buffered by a stream) before the subscriber is dropped.
    let limit: Int
    /// Bytes of frames a pushed feed may have written that its socket has not taken.
    let byteLimit: Int
    /// Runs when a stream's reader goes away (the hub forgets the subscription).
    private let onStreamEnd: @Sendable () -> Void

    init(limit: Int, byteLimit: Int = 4 << 20, onStreamEnd: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.byteLimit = byteLimit
        self.onStreamEnd = onStreamEnd
    }

    /// Delivers a message; false when the buffer is full or the receiver cannot keep up.
    func deliver(_ message: StreamMessage) -> Bool {
        mode.withLock { mode in
            switch mode {
            case .holding(var held):
                guard held.count < limit else { return false }
                held.append(message)
                mode = .holding(held)
                return true
            case .streaming(let continuation):
                if case .dropped = continuation.yield(message) { return false }
                return true
            case .pushing(let receiver):
                return receiver.receive(message)
            case .ended:
                return true
            }
        }
    }

    /// Time passed: worth nothing to a mailbox nobody takes from yet, and never a reason to drop.
    func tick() {
        mode.withLock { mode in
            switch mode {
            case .streaming(let continuation): _ = continuation.yield(.tick)
            case .pushing(let receiver): _ = receiver.receive(.tick)
            case .holding, .ended: break
            }
        }
    }

    /// Ends the subscription: a stream finishes after what it buffered, a receiver is told.
    func finish() {
        enum Then { case nothing, finish(AsyncStream<StreamMessage>.Continuation), end(any MailboxReceiver) }
        let then: Then = mode.withLock { mode in
            switch mode {
            case .holding(let held):
                mode = .ended(held)
                return .nothing
            case .streaming(let continuation):
                mode = .ended([])
                return .finish(continuation)
            case .pushing(let receiver):
                mode = .ended([])
                return .end(receiver)
            case .ended:
                return .nothing
            }
        }
        // Outside the lock: a stream's termination handler comes back to the hub.
        switch then {
        case .nothing: break
        case .finish(let continuation): continuation.finish()
        case .end(let receiver): receiver.end()
        }
    }

    /// The messages as a stream, those held first. Taken once: a second taker gets an ended stream.
    public func stream() -> AsyncStream<StreamMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: StreamMessage.self, bufferingPolicy: .bufferingOldest(limit))
        let onStreamEnd = self.onStreamEnd
        continuation.onTermination = { _ in onStreamEnd() }
        let ended: Bool = mode.withLock { mode in
            switch mode {
            case .holding(let held):
                for message in held { continuation.yield(message) }
                mode = .streaming(continuation)
                return false
            case .ended(let held):
                for message in held { continuation.yield(message) }
                mode = .ended([])
                return true
            case .streaming, .pushing:
                return true
            }
        }
        if ended { continuation.finish() }
        return stream
    }

    /// From now on messages go to `receiver`, those held first (in order: under the same lock
    /// publishers take). A mailbox already ended hands over what it held, then ends the receiver.
    public func push(to receiver: any MailboxReceiver) {
        let ended: Bool = mode.withLock { mode in
            switch mode {
            case .holding(let held):
                for message in held { _ = receiver.receive(message) }
                mode = .pushing(receiver)
                return false
            case .ended(let held):
                for message in held { _ = receiver.receive(message) }
                mode = .ended([])
                return true
            case .streaming, .pushing:
                return true
            }
        }
        if ended { receiver.end() }
    }
}

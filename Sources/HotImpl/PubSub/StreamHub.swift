import Foundation
import Synchronization

/// Fans live messages out to this process's subscribers. Every subscriber has a bounded buffer:
/// one that stops reading is dropped (its mailbox ends) rather than holding memory.
public final class StreamHub: Sendable {
    /// What one subscriber receives: its mailbox, taken as a stream or pushed to a receiver.
    public struct Subscription: Sendable {
        public let id: UUID
        public let envId: UUID
        public let mailbox: Mailbox

        /// The messages as a stream (take once).
        public func messages() -> AsyncStream<StreamMessage> { mailbox.stream() }
    }

    private struct Subscriber {
        var streamId: UUID?
        var mailbox: Mailbox
    }

    private struct State {
        var subscribers: [UUID: [UUID: Subscriber]] = [:]
        /// Set when the process shuts down: subscriptions end, new ones end at once.
        var closed = false
    }

    private let state = Mutex(State())
    private let bufferLimit: Int
    private let byteLimit: Int

    /// `bufferLimit`: messages a subscriber may be behind; `byteLimit`: bytes of frames written for
    /// a feed the event loop serves that its socket has not taken (frames can be large: an event's
    /// data travels in them), before the subscriber is dropped.
    public init(bufferLimit: Int = 1024, byteLimit: Int = 4 << 20) {
        self.bufferLimit = bufferLimit
        self.byteLimit = byteLimit
    }

    /// Messages of the env (`streamId` nil) or of one of its streams, from now on.
    public func subscribe(envId: UUID, streamId: UUID?) -> Subscription {
        let id = UUID()
        let mailbox = Mailbox(limit: bufferLimit, byteLimit: byteLimit, onStreamEnd: { [weak self] in self?.remove(id, envId: envId) })
        // Checked under the same lock `close` takes: a subscription racing a shutdown is not kept.
        let admitted = state.withLock { state in
            guard !state.closed else { return false }
            state.subscribers[envId, default: [:]][id] = Subscriber(streamId: streamId, mailbox: mailbox)
            return true
        }
        if !admitted { mailbox.finish() }
        return Subscription(id: id, envId: envId, mailbox: mailbox)
    }

    public func publish(_ message: StreamMessage) {
        var overflowing: [UUID] = []
        state.withLock { state in
            guard let subscribers = state.subscribers[message.envId] else { return }
            for (id, subscriber) in subscribers where subscriber.streamId == nil || subscriber.streamId == message.streamId {
                if !subscriber.mailbox.deliver(message) { overflowing.append(id) }
            }
        }
        for id in overflowing { end(id, envId: message.envId) }
    }

    /// Tells every subscriber that time passed (feeds send heartbeats and end by it). Skipped by
    /// a full buffer rather than dropping its subscriber: a tick is not worth a disconnect.
    public func tick() {
        state.withLock { state in
            for subscribers in state.subscribers.values {
                for subscriber in subscribers.values { subscriber.mailbox.tick() }
            }
        }
    }

    /// Ends one subscription (its taker will not read it).
    public func end(_ subscription: Subscription) {
        end(subscription.id, envId: subscription.envId)
        // Also when the hub no longer holds it (dropped, or refused at a shutdown): a no-op if ended.
        subscription.mailbox.finish()
    }

    /// Ends every subscription, now and to come: the process is shutting down, and feeds must not
    /// hold the HTTP server's graceful shutdown (clients reconnect elsewhere and resume).
    public func close() {
        state.withLock { $0.closed = true }
        disconnectAll()
    }

    /// Ends every subscription (e.g. when notifications stopped arriving: clients reconnect and resume).
    public func disconnectAll() {
        let all = state.withLock { state in
            defer { state.subscribers = [:] }
            return state.subscribers.values.flatMap { $0.values.map(\.mailbox) }
        }
        // Finished outside the lock: stream termination handlers take it again.
        for mailbox in all { mailbox.finish() }
    }

    /// Subscribers now held (for tests and metrics).
    public var subscriberCount: Int {
        state.withLock { $0.subscribers.values.reduce(0) { $0 + $1.count } }
    }

    private func end(_ id: UUID, envId: UUID) {
        let mailbox = state.withLock { state in
            let mailbox = state.subscribers[envId]?[id]?.mailbox
            state.subscribers[envId]?[id] = nil
            if state.subscribers[envId]?.isEmpty == true { state.subscribers[envId] = nil }
            return mailbox
        }
        mailbox?.finish()
    }

    private func remove(_ id: UUID, envId: UUID) {
        state.withLock { state in
            state.subscribers[envId]?[id] = nil
            if state.subscribers[envId]?.isEmpty == true { state.subscribers[envId] = nil }
        }
    }
}

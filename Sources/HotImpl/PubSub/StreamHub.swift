import Foundation
import Synchronization

/// Fans live messages out to this process's subscribers. Every subscriber has a bounded buffer:
/// one that stops reading is dropped (its stream ends) rather than holding memory.
public final class StreamHub: Sendable {
    /// What one subscriber receives.
    public struct Subscription: Sendable {
        public let id: UUID
        public let messages: AsyncStream<StreamMessage>
    }

    private struct Subscriber {
        var streamId: UUID?
        var continuation: AsyncStream<StreamMessage>.Continuation
    }

    private struct State {
        var subscribers: [UUID: [UUID: Subscriber]] = [:]
        /// Set when the process shuts down: subscriptions end, new ones end at once.
        var closed = false
    }

    private let state = Mutex(State())
    private let bufferLimit: Int

    public init(bufferLimit: Int = 1024) {
        self.bufferLimit = bufferLimit
    }

    /// Messages of the env (`streamId` nil) or of one of its streams, from now on.
    public func subscribe(envId: UUID, streamId: UUID?) -> Subscription {
        let id = UUID()
        let (messages, continuation) = AsyncStream.makeStream(of: StreamMessage.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        // Set before the subscriber is reachable, so a finish from any side removes it.
        continuation.onTermination = { [weak self] _ in self?.remove(id, envId: envId) }
        // Checked under the same lock `close` takes: a subscription racing a shutdown is not kept.
        let admitted = state.withLock { state in
            guard !state.closed else { return false }
            state.subscribers[envId, default: [:]][id] = Subscriber(streamId: streamId, continuation: continuation)
            return true
        }
        if !admitted { continuation.finish() }
        return Subscription(id: id, messages: messages)
    }

    public func publish(_ message: StreamMessage) {
        var overflowing: [AsyncStream<StreamMessage>.Continuation] = []
        state.withLock { state in
            guard let subscribers = state.subscribers[message.envId] else { return }
            for subscriber in subscribers.values where subscriber.streamId == nil || subscriber.streamId == message.streamId {
                if case .dropped = subscriber.continuation.yield(message) { overflowing.append(subscriber.continuation) }
            }
        }
        // Finished outside the lock: termination handlers take it again.
        for continuation in overflowing { continuation.finish() }
    }

    /// Tells every subscriber that time passed (feeds send heartbeats and end by it). Skipped by
    /// a full buffer rather than dropping its subscriber: a tick is not worth a disconnect.
    public func tick() {
        let tick = StreamMessage.tick
        state.withLock { state in
            for subscribers in state.subscribers.values {
                for subscriber in subscribers.values { _ = subscriber.continuation.yield(tick) }
            }
        }
    }

    /// Ends one subscription (its taker will not read it).
    public func end(_ subscription: Subscription) {
        let continuation = state.withLock { $0.subscribers.values.lazy.compactMap { $0[subscription.id] }.first?.continuation }
        continuation?.finish()
    }

    /// Ends every subscription, now and to come: the process is shutting down, and feeds must not
    /// hold the HTTP server's graceful shutdown (clients reconnect elsewhere and resume).
    public func close() {
        state.withLock { $0.closed = true }
        disconnectAll()
    }

    /// Ends every subscription (e.g. when notifications stopped arriving: clients reconnect and resume).
    public func disconnectAll() {
        let all = state.withLock { $0.subscribers.values.flatMap { $0.values.map(\.continuation) } }
        for continuation in all { continuation.finish() }
    }

    /// Subscribers now held (for tests and metrics).
    public var subscriberCount: Int {
        state.withLock { $0.subscribers.values.reduce(0) { $0 + $1.count } }
    }

    private func remove(_ id: UUID, envId: UUID) {
        state.withLock { state in
            state.subscribers[envId]?[id] = nil
            if state.subscribers[envId]?.isEmpty == true { state.subscribers[envId] = nil }
        }
    }
}

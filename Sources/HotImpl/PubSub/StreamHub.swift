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

    private let subscribers = Mutex<[UUID: [UUID: Subscriber]]>([:])
    /// Set when the process shuts down: subscriptions end, new ones end at once.
    private let closed = Mutex(false)
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
        let admitted = subscribers.withLock { all in
            guard !closed.withLock({ $0 }) else { return false }
            all[envId, default: [:]][id] = Subscriber(streamId: streamId, continuation: continuation)
            return true
        }
        if !admitted { continuation.finish() }
        return Subscription(id: id, messages: messages)
    }

    public func publish(_ message: StreamMessage) {
        var overflowing: [AsyncStream<StreamMessage>.Continuation] = []
        subscribers.withLock { all in
            guard let subscribers = all[message.envId] else { return }
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
        subscribers.withLock { all in
            for subscribers in all.values {
                for subscriber in subscribers.values { _ = subscriber.continuation.yield(tick) }
            }
        }
    }

    /// Ends one subscription (its taker will not read it).
    public func end(_ subscription: Subscription) {
        let continuation = subscribers.withLock { all in all.values.lazy.compactMap { $0[subscription.id] }.first?.continuation }
        continuation?.finish()
    }

    /// Ends every subscription, now and to come: the process is shutting down, and feeds must not
    /// hold the HTTP server's graceful shutdown (clients reconnect elsewhere and resume).
    public func close() {
        subscribers.withLock { _ in closed.withLock { $0 = true } }
        disconnectAll()
    }

    /// Ends every subscription (e.g. when notifications stopped arriving: clients reconnect and resume).
    public func disconnectAll() {
        let all = subscribers.withLock { all in all.values.flatMap { $0.values.map(\.continuation) } }
        for continuation in all { continuation.finish() }
    }

    /// Subscribers now held (for tests and metrics).
    public var subscriberCount: Int {
        subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    private func remove(_ id: UUID, envId: UUID) {
        subscribers.withLock { all in
            all[envId]?[id] = nil
            if all[envId]?.isEmpty == true { all[envId] = nil }
        }
    }
}

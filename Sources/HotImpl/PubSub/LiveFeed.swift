import Foundation
import HotRuntime

/// An SSE response fed from the hub: frames known at subscription (a snapshot or a replay), then
/// live messages, a comment heartbeat while idle, and `stream:complete` when its time is up.
///
/// It runs in the response's own task, pulling from its hub subscription as the client takes
/// frames: an idle subscriber costs its connection, a suspended read and a small buffer, no task or
/// timer of its own. The subscription's buffer is bounded: a client that stops reading falls
/// behind, its subscription is dropped by the hub, and its feed ends.
public struct LiveFeed: AsyncSequence, Sendable {
    public typealias Element = ServerSentEvent
    public typealias Failure = Never

    public struct Settings: Sendable {
        /// A `: keep-alive` comment this often.
        public var heartbeat: Duration
        /// How long a subscription lasts (the seed: 5 minutes); then `stream:complete` and close.
        public var lifetime: Duration

        public init(heartbeat: Duration = .seconds(15), lifetime: Duration = .seconds(300)) {
            self.heartbeat = heartbeat
            self.lifetime = lifetime
        }
    }

    let initial: [ServerSentEvent]
    let messages: AsyncStream<StreamMessage>
    let skipThrough: Int64
    let frame: @Sendable (StreamMessage) -> ServerSentEvent?
    let completion: ServerSentEvent?
    let settings: Settings

    /// The feed as a response body; `unsubscribe` runs when it ends, however it ends.
    /// - Parameters:
    ///   - initial: sent first, in order.
    ///   - subscription: live messages (taken before `initial` was computed, so nothing falls between).
    ///   - skipThrough: live messages with a seq up to this one are already in `initial`.
    ///   - frame: the frame a live message becomes for this subscriber; nil skips it.
    ///   - completion: the frame sent when the lifetime ends.
    public static func events(
        initial: [ServerSentEvent], subscription: StreamHub.Subscription, skipThrough: Int64,
        frame: @escaping @Sendable (StreamMessage) -> ServerSentEvent?, completion: ServerSentEvent?, settings: Settings,
        unsubscribe: @escaping @Sendable () -> Void
    ) -> EventStream {
        // A comment first: the response head goes out now, not with the first event.
        let feed = LiveFeed(initial: [.comment("connected")] + initial, messages: subscription.messages, skipThrough: skipThrough,
                            frame: frame, completion: completion, settings: settings)
        return EventStream(events: feed, onEnd: unsubscribe)
    }

    public func makeAsyncIterator() -> Iterator {
        let now = ContinuousClock.now
        return Iterator(feed: self, messages: messages.makeAsyncIterator(), start: now, lastSent: now)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let feed: LiveFeed
        var messages: AsyncStream<StreamMessage>.Iterator
        let start: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        var sentInitial = 0
        var ended = false

        public mutating func next() async -> ServerSentEvent? {
            if sentInitial < feed.initial.count {
                sentInitial += 1
                return feed.initial[sentInitial - 1]
            }
            // The hub's ticks (`StreamHub.tick`) pace the heartbeat and the end.
            while !ended, let message = await messages.next() {
                let now = ContinuousClock.now
                if now - start >= feed.settings.lifetime {
                    ended = true
                    return feed.completion
                }
                if message.isTick {
                    guard now - lastSent >= feed.settings.heartbeat else { continue }
                    lastSent = now
                    return .comment("keep-alive")
                }
                guard message.seq > feed.skipThrough, let event = feed.frame(message) else { continue }
                lastSent = now
                return event
            }
            ended = true
            return nil
        }
    }
}

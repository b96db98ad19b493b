import Foundation
import HotRuntime

/// An SSE response fed from the hub: frames known at subscription (a snapshot or a replay), then
/// live messages, a comment heartbeat while idle, and `stream:complete` when its time is up.
///
/// Served in the response's own task, it pulls from its hub subscription as the client takes
/// frames; taken over by the connection (`FeedHandover`), the event loop pushes them, and an idle
/// subscriber costs its socket and a few small objects, no task or timer of its own. The subscription's buffer is bounded: a client that stops reading falls
/// behind, its subscription is dropped by the hub, and its feed ends.
public struct LiveFeed: AsyncSequence, Sendable {
    public typealias Element = ServerSentEvent
    public typealias Failure = Never

    public struct Settings: Sendable {
        /// A `: keep-alive` comment this often.
        public var heartbeat: Duration
        /// How long a subscription lasts (the Hot API documentation: 5 minutes); then `stream:complete`
        /// and close.
        public var lifetime: Duration

        public init(heartbeat: Duration = .seconds(15), lifetime: Duration = .seconds(300)) {
            self.heartbeat = heartbeat
            self.lifetime = lifetime
        }
    }

    let initial: [ServerSentEvent]
    let messages: AsyncStream<StreamMessage>
    let progress: FeedProgress

    /// The feed as a response body; `unsubscribe` runs when it ends, however it ends. Served on a
    /// connection that can take it over (`FeedHandover`), it leaves the response's task: the
    /// connection's event loop writes it, with no task at all.
    /// - Parameters:
    ///   - initial: sent first, in order.
    ///   - subscription: live messages (taken before `initial` was computed, so nothing falls between).
    ///   - skipThrough: live messages with a seq up to this one are already in `initial`.
    ///   - frame: the frame a live message becomes for this subscriber; nil skips it.
    ///   - completion: the frame sent when the lifetime ends.
    ///   - isLast: whether a live message's frame is the feed's last (a run's end, for a run's feed).
    ///   - handover: the connection's, from the request's context, when it can take the feed over.
    public static func events(
        initial: [ServerSentEvent], subscription: StreamHub.Subscription, skipThrough: Int64,
        frame: @escaping @Sendable (StreamMessage) -> ServerSentEvent?, completion: ServerSentEvent?, settings: Settings,
        isLast: @escaping @Sendable (StreamMessage) -> Bool = { _ in false },
        handover: FeedHandover?, unsubscribe: @escaping @Sendable () -> Void
    ) -> EventStream {
        // A comment first: the response head goes out now, not with the first event.
        let initial = [ServerSentEvent.comment("connected")] + initial
        let progress = FeedProgress(skipThrough: skipThrough, frame: frame, completion: completion, settings: settings, start: .now,
                                    isLast: isLast)
        if let handover {
            handover.offer(DetachedFeed(initial: initial, mailbox: subscription.mailbox, progress: progress, unsubscribe: unsubscribe))
            // What the router passes up is only the response head; the feed itself travels in the handover.
            return EventStream(events: AsyncStream { $0.finish() })
        }
        let feed = LiveFeed(initial: initial, messages: subscription.messages(), progress: progress)
        return EventStream(events: feed, onEnd: unsubscribe)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(feed: self, messages: messages.makeAsyncIterator(), progress: progress)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let feed: LiveFeed
        var messages: AsyncStream<StreamMessage>.Iterator
        var progress: FeedProgress
        var sentInitial = 0
        var ended = false

        public mutating func next() async -> ServerSentEvent? {
            if sentInitial < feed.initial.count {
                sentInitial += 1
                return feed.initial[sentInitial - 1]
            }
            while !ended, let message = await messages.next() {
                switch progress.step(message, now: .now) {
                case .skip: continue
                case .send(let event): return event
                case .finish(let event):
                    ended = true
                    return event
                }
            }
            ended = true
            return nil
        }
    }
}

/// What a feed makes of each hub message, wherever it is served (in a task or on an event loop):
/// the hub's ticks pace the heartbeat and the end of its lifetime.
public struct FeedProgress: Sendable {
    public enum Step: Equatable {
        case skip
        case send(ServerSentEvent)
        /// The lifetime is over: this last frame (if any), then close.
        case finish(ServerSentEvent?)
    }

    let skipThrough: Int64
    let frame: @Sendable (StreamMessage) -> ServerSentEvent?
    let completion: ServerSentEvent?
    let settings: LiveFeed.Settings
    let start: ContinuousClock.Instant
    let isLast: @Sendable (StreamMessage) -> Bool
    var lastSent: ContinuousClock.Instant

    init(skipThrough: Int64, frame: @escaping @Sendable (StreamMessage) -> ServerSentEvent?, completion: ServerSentEvent?,
         settings: LiveFeed.Settings, start: ContinuousClock.Instant, isLast: @escaping @Sendable (StreamMessage) -> Bool = { _ in false }) {
        self.skipThrough = skipThrough
        self.frame = frame
        self.completion = completion
        self.settings = settings
        self.start = start
        self.isLast = isLast
        self.lastSent = start
    }

    public mutating func step(_ message: StreamMessage, now: ContinuousClock.Instant) -> Step {
        if now - start >= settings.lifetime { return .finish(completion) }
        if message.isTick {
            guard now - lastSent >= settings.heartbeat else { return .skip }
            lastSent = now
            return .send(.comment("keep-alive"))
        }
        guard message.seq > skipThrough, let event = frame(message) else { return .skip }
        lastSent = now
        return isLast(message) ? .finish(event) : .send(event)
    }
}

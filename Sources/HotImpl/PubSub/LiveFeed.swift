import Foundation
import HotRuntime

/// An SSE response fed from the hub: frames known at subscription (a snapshot or a replay), then
/// live messages, a comment heartbeat while idle, and `stream:complete` when its time is up. Its
/// buffer is bounded: a client that stops reading is disconnected rather than buffered for.
public struct LiveFeed: Sendable {
    public struct Settings: Sendable {
        /// A `: keep-alive` comment this often.
        public var heartbeat: Duration
        /// How long a subscription lasts (the seed: 5 minutes); then `stream:complete` and close.
        public var lifetime: Duration
        /// Frames held for a slow client before it is dropped.
        public var bufferLimit: Int

        public init(heartbeat: Duration = .seconds(15), lifetime: Duration = .seconds(300), bufferLimit: Int = 1024) {
            self.heartbeat = heartbeat
            self.lifetime = lifetime
            self.bufferLimit = bufferLimit
        }
    }

    /// - Parameters:
    ///   - initial: sent first, in order.
    ///   - subscription: live messages (taken before `initial` was computed, so nothing falls between).
    ///   - skipThrough: live messages with a seq up to this one are already in `initial`.
    ///   - frame: the frame a live message becomes for this subscriber; nil skips it.
    ///   - completion: the frame sent when the lifetime ends.
    public static func events(
        initial: [ServerSentEvent], subscription: StreamHub.Subscription, skipThrough: Int64,
        frame: @escaping @Sendable (StreamMessage) -> ServerSentEvent?, completion: ServerSentEvent?, settings: Settings
    ) -> EventStream {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerSentEvent.self, bufferingPolicy: .bufferingOldest(settings.bufferLimit))
        /// False when the client's buffer is full: it is dropped.
        @Sendable func send(_ event: ServerSentEvent) -> Bool {
            if case .dropped = continuation.yield(event) {
                continuation.finish()
                return false
            }
            return true
        }
        // One task per feed: the hub's ticks (`StreamHub.tick`) pace its heartbeat and its end, so
        // an idle subscriber costs a suspended task and two small buffers, not a timer of its own.
        let task = Task {
            // A comment first: the response head goes out now, not with the first event.
            guard send(.comment("connected")) else { return }
            for event in initial {
                guard send(event) else { return }
            }
            let clock = ContinuousClock()
            let start = clock.now
            var lastSent = start
            for await message in subscription.messages {
                let now = clock.now
                if now - start >= settings.lifetime {
                    if let completion { _ = send(completion) }
                    break
                }
                if message.isTick {
                    guard now - lastSent >= settings.heartbeat else { continue }
                } else {
                    guard message.seq > skipThrough, let event = frame(message) else { continue }
                    guard send(event) else { return }
                    lastSent = now
                    continue
                }
                guard send(.comment("keep-alive")) else { return }
                lastSent = now
            }
            continuation.finish()
        }
        // The client went away: stop producing (this also ends the hub subscription).
        continuation.onTermination = { _ in task.cancel() }
        return EventStream(events: stream)
    }
}

import Foundation
import HotRuntime
import Logging
import NIOCore
import Synchronization

/// A live feed on its way from the handler that opened it to the connection that will serve it.
///
/// A connection that can serve feeds without a task (`FeedConnection`) runs the router with a
/// handover in the request's context (`context[FeedHandover.self]`); the handler passes it to
/// `LiveFeed.events`, which then leaves its feed here instead of in the response body, and the
/// connection takes it once the response head is known to be the feed's.
public final class FeedHandover: RequestContextKey, Sendable {
    public typealias Value = FeedHandover

    private let offered = Mutex<DetachedFeed?>(nil)

    public init() {}

    func offer(_ feed: DetachedFeed) {
        // A second feed in one request would be a bug; the first is not leaked either way.
        offered.withLock { previous in
            defer { previous = feed }
            return previous
        }?.cancel()
    }

    /// The feed offered, if any (taken once).
    func take() -> DetachedFeed? {
        offered.withLock { feed in
            defer { feed = nil }
            return feed
        }
    }
}

/// A feed that no task reads: its first frames, its subscription's mailbox, and what it makes of
/// each message.
struct DetachedFeed: Sendable {
    var initial: [ServerSentEvent]
    var mailbox: Mailbox
    var progress: FeedProgress
    var unsubscribe: @Sendable () -> Void

    /// Nobody will serve it: give the subscription back.
    func cancel() { unsubscribe() }
}

/// Serves a detached feed on its channel's event loop: frames are written as the hub pushes
/// messages, and the connection closes when the feed ends, the client goes away, or the server
/// shuts down. The response body is delimited by the connection's close (no chunked framing), so
/// once the head is out the HTTP codec is gone and the channel is a plain byte stream.
final class FeedWriter {
    private let channel: any Channel
    private var progress: FeedProgress
    /// Frames handed to the hub's receiver and not yet on the socket (shared with `FeedReceiver`).
    private let backlog: FeedBacklog
    private var closed = false

    init(channel: any Channel, progress: FeedProgress, backlog: FeedBacklog) {
        self.channel = channel
        self.progress = progress
        self.backlog = backlog
    }

    func start(_ initial: [ServerSentEvent]) {
        var buffer = channel.allocator.buffer(capacity: 256)
        for event in initial { buffer.writeString(event.wireFormat) }
        channel.writeAndFlush(buffer, promise: nil)
    }

    func handle(_ message: StreamMessage) {
        defer { if !message.isTick { backlog.done(message) } }
        guard !closed else { return }
        switch progress.step(message, now: .now) {
        case .skip:
            break
        case .send(let event):
            write(event)
        case .finish(let event):
            if let event { write(event) }
            finish()
        }
    }

    private func write(_ event: ServerSentEvent) {
        let backlog = self.backlog
        let frame = channel.allocator.buffer(string: event.wireFormat)
        let size = frame.readableBytes
        backlog.written(bytes: size)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in backlog.flushed(bytes: size) }
        channel.writeAndFlush(frame, promise: promise)
    }

    /// The feed's lifetime is over: close once what was written has gone out (or after a grace
    /// period, for a client that does not read).
    private func finish() {
        closed = true
        let channel = self.channel
        channel.writeAndFlush(channel.allocator.buffer(capacity: 0)).whenComplete { _ in channel.close(promise: nil) }
        channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
    }

    /// The subscription ended (dropped for falling behind, or the server is shutting down): close now.
    func end() {
        guard !closed else { return }
        closed = true
        channel.close(promise: nil)
    }
}

/// How far a detached feed is behind: frames queued for the event loop or written but not yet
/// taken by the socket, counted and in bytes. A client that stops reading lets it grow to the hub's
/// limits (messages, or bytes: large frames reach the byte limit long before the message limit)
/// and is dropped.
final class FeedBacklog: Sendable {
    private let count = Atomic(0)
    private let bytes = Atomic(0)
    let limit: Int
    let byteLimit: Int

    init(limit: Int, byteLimit: Int) {
        self.limit = limit
        self.byteLimit = byteLimit
    }

    /// A message is on its way to the event loop (it counts, with its size, until handled); false
    /// when the feed is too far behind to take it: too many messages, or too many bytes of them and
    /// of frames its socket has not taken.
    func admit(_ message: StreamMessage) -> Bool {
        let withIt = bytes.add(Self.size(of: message), ordering: .relaxed).newValue
        return count.add(1, ordering: .relaxed).newValue <= limit && withIt <= byteLimit
    }
    /// A message was handled (whatever frame it became counts on its own).
    func done(_ message: StreamMessage) {
        count.subtract(1, ordering: .relaxed)
        bytes.subtract(Self.size(of: message), ordering: .relaxed)
    }
    /// About the size of the frame a message becomes: its longer data, plus room for the lines around it.
    static func size(of message: StreamMessage) -> Int {
        max(message.data.utf8.count, message.envData?.utf8.count ?? 0) + 64
    }
    /// A message became a frame of `size` bytes: it counts until the socket takes it.
    func written(bytes size: Int) {
        count.add(1, ordering: .relaxed)
        bytes.add(size, ordering: .relaxed)
    }
    func flushed(bytes size: Int) {
        count.subtract(1, ordering: .relaxed)
        bytes.subtract(size, ordering: .relaxed)
    }
}

/// The hub's side of a detached feed: hops each message to the channel's event loop.
struct FeedReceiver: MailboxReceiver {
    let eventLoop: any EventLoop
    let writer: NIOLoopBound<FeedWriter>
    let backlog: FeedBacklog

    func receive(_ message: StreamMessage) -> Bool {
        if !message.isTick, !backlog.admit(message) {
            backlog.done(message)
            return false
        }
        let writer = self.writer
        eventLoop.execute { writer.value.handle(message) }
        return true
    }

    func end() {
        let writer = self.writer
        eventLoop.execute { writer.value.end() }
    }
}

/// The last handler of a connection serving a detached feed: ignores what the client sends, and
/// ends the subscription when the connection goes (client gone, feed over, server shutting down).
final class FeedChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let unsubscribe: @Sendable () -> Void

    init(unsubscribe: @escaping @Sendable () -> Void) {
        self.unsubscribe = unsubscribe
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        unsubscribe()
        context.fireChannelInactive()
    }

    /// Reached when the channel closes, whatever passed `channelInactive` on (ending twice is harmless).
    func handlerRemoved(context: ChannelHandlerContext) {
        unsubscribe()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server accepts half-closed connections: a client that is gone shows up here first.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        // Graceful shutdown: feeds end (clients reconnect elsewhere and resume with Last-Event-ID).
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

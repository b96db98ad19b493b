import Foundation
import Generated
import HotRuntime
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 connection, except that a connection whose first request opens a live feed
/// (an operation with SSE events) keeps no task once the feed is open.
///
/// An idle Hummingbird connection holds its task, and the task keeps the allocator slabs of the
/// deepest call chain it ever ran: about 18 KiB per idle SSE subscriber. Here the first request
/// head is looked at in the channel pipeline. Any other request goes on to Hummingbird exactly as
/// `HTTP1Channel` would serve it. A feed request is read whole, answered by the same router (so
/// authentication, validation, request ids and logs are those of every route) in a short task, and
/// when the answer is the feed, the connection is handed to `FeedChannelHandler`/`FeedWriter`: the
/// hub pushes messages to the event loop, which writes them.
struct FeedAwareHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let first: EventLoopFuture<FirstRequest>
    }

    enum FirstRequest: Sendable {
        /// Hummingbird serves the connection.
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A feed request, read whole.
        case feed(FeedRequest)
    }

    struct FeedRequest: Sendable {
        var head: HTTPRequest
        var body: ByteBuffer
        /// More than `FeedConnections.maximumBody` arrived (the rest was dropped).
        var tooLarge: Bool
    }

    let responder: HTTPChannelHandler.Responder
    let feeds: FeedConnections
    let idleTimeout: Duration?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let operations = channel.pipeline.syncOperations
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: .init()
            )
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try operations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            let first = channel.eventLoop.makePromise(of: FirstRequest.self)
            try operations.addHandler(FirstRequestHandler(first: first, feeds: feeds))
            return Value(channel: channel, first: first.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard let first = try? await value.first.get() else {
            // Gone before a whole request arrived (the promise fails with the channel's close):
            // nothing to answer, nothing to report.
            value.channel.close(promise: nil)
            return
        }
        switch first {
        case .http(let asyncChannel): await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        case .feed(let request): await feeds.serve(request, on: value.channel, logger: logger)
        }
    }
}

/// Sits after the HTTP codec until the first request head says what the connection is.
final class FirstRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case waiting
        case reading(FeedAwareHTTP1Channel.FeedRequest)
        case decided
    }

    private let first: EventLoopPromise<FeedAwareHTTP1Channel.FirstRequest>
    private let feeds: FeedConnections
    private var state = State.waiting

    init(first: EventLoopPromise<FeedAwareHTTP1Channel.FirstRequest>, feeds: FeedConnections) {
        self.first = first
        self.feeds = feeds
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .waiting:
            guard case .head(let head) = part, feeds.serves(head) else {
                handToHummingbird(context: context, replaying: .read(data))
                return
            }
            state = .reading(.init(head: head, body: context.channel.allocator.buffer(capacity: 0), tooLarge: false))
        case .reading(var request):
            switch part {
            case .head:
                break
            case .body(var buffer):
                if request.body.readableBytes + buffer.readableBytes <= FeedConnections.maximumBody {
                    request.body.writeBuffer(&buffer)
                } else {
                    request.tooLarge = true
                }
                state = .reading(request)
            case .end:
                state = .decided
                first.succeed(.feed(request))
            }
        case .decided:
            // Whatever follows a feed request is not read: the connection ends with the feed.
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .waiting = state else {
            context.close(promise: nil)
            return
        }
        // A request Hummingbird would answer 400: let it.
        handToHummingbird(context: context, replaying: .error(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        giveUp()
        context.fireChannelInactive()
    }

    /// Also reached when the channel closes: Hummingbird's connection-state handler, ahead of this
    /// one, does not pass `channelInactive` on.
    func handlerRemoved(context: ChannelHandlerContext) {
        giveUp()
    }

    /// The connection ended before a whole request: its task ends.
    private func giveUp() {
        if case .decided = state { return }
        state = .decided
        first.fail(ChannelError.eof)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server accepts half-closed connections, so a client that leaves shows up here, not
        // as the channel going inactive: one that sent no request, or not all of it, will send
        // nothing more (and a connection left half open would hold graceful shutdown).
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Builds Hummingbird's side of the connection (as `HTTP1Channel` does), passes on what was
    /// read, and leaves the pipeline.
    private enum Replay {
        case read(NIOAny)
        case error(any Error)
    }

    private func handToHummingbird(context: ChannelHandlerContext, replaying replay: Replay) {
        state = .decided
        do {
            let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            switch replay {
            case .read(let data): context.fireChannelRead(data)
            case .error(let error): context.fireErrorCaught(error)
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            first.succeed(.http(asyncChannel))
        } catch {
            first.fail(error)
            context.close(promise: nil)
        }
    }
}

/// What serves feed requests: the router (a second responder of the same routes), and the
/// takeover of the connection when the answer is a feed.
struct FeedConnections: Sendable {
    /// As `RequestInput.maximumJSONBody`: the body of `POST /v1/streams/subscribe-with-event`.
    static let maximumBody = RequestInput.maximumJSONBody

    /// Method and path segments (nil: a path parameter) of each operation that answers with a feed.
    private let endpoints: [(method: HTTPRequest.Method, segments: [Substring?])]
    private let responder: RouterResponder<HotRequestContext>

    init(operations: [OperationDescriptor], responder: RouterResponder<HotRequestContext>) {
        endpoints = operations.filter { !$0.eventTypes.isEmpty }.map { operation in
            (operation.method, operation.path.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 })
        }
        self.responder = responder
    }

    /// Whether the request is for an operation that answers with a feed.
    func serves(_ head: HTTPRequest) -> Bool {
        guard let target = head.path else { return false }
        let path = target.prefix { $0 != "?" && $0 != "#" }
        let segments = path.split(separator: "/")
        return endpoints.contains { endpoint in
            endpoint.method == head.method && endpoint.segments.count == segments.count
                && zip(endpoint.segments, segments).allSatisfy { expected, actual in expected.map { $0 == actual } ?? true }
        }
    }

    /// Answers a feed request through the router; a feed takes the connection over, anything else
    /// (an error) is written and the connection closed.
    func serve(_ first: FeedAwareHTTP1Channel.FeedRequest, on channel: any Channel, logger: Logger) async {
        let body = first.tooLarge ? RequestBody(asyncSequence: TooLargeBody(received: first.body)) : RequestBody(buffer: first.body)
        let request = Request(head: first.head, body: body)
        let handover = FeedHandover()
        var response: Response
        do {
            var context = HotRequestContext(source: .init(channel: channel, logger: logger))
            context[FeedHandover.self] = handover
            response = try await responder.respond(to: request, context: context)
        } catch {
            logger.error("feed request failed outside the router", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        let feed = handover.take()
        if let feed, response.status == .ok, response.headers[.contentType] == "text/event-stream" {
            response.headers[.connection] = "close"
            let head = response.head
            do {
                try await channel.eventLoop.submit { Self.takeOver(channel, head: head, feed: feed) }.get()
            } catch {
                feed.cancel()
                channel.close(promise: nil)
            }
            return
        }
        feed?.cancel()
        response.headers[.connection] = "close"
        do {
            try await channel.writeAndFlush(HTTPResponsePart.head(response.head)).get()
            try await response.body.write(ChannelBodyWriter(channel: channel))
        } catch {
            logger.debug("feed request: client gone before the answer", metadata: ["error": "\(error)"])
        }
        channel.close(promise: nil)
    }

    /// On the event loop: the HTTP handlers leave, the response head goes out as bytes, and the
    /// feed's first frames follow; the hub pushes the rest.
    private static func takeOver(_ channel: any Channel, head: HTTPResponse, feed: DetachedFeed) {
        guard channel.isActive else {
            // The client left while the router answered: nothing will end the subscription but us.
            feed.cancel()
            return
        }
        let operations = channel.pipeline.syncOperations
        do {
            try operations.addHandler(FeedChannelHandler(unsubscribe: feed.unsubscribe))
        } catch {
            feed.cancel()
            channel.close(promise: nil)
            return
        }
        // In pipeline order from the feed handler back: bytes the decoder still holds then reach
        // the feed handler (which drops them), never a codec expecting parts.
        removeHandler(FirstRequestHandler.self, from: operations)
        removeHandler(HTTPConnectionStateHandler.self, from: operations)
        removeHandler(HTTP1ToHTTPServerCodec.self, from: operations)
        removeHandler(HTTPResponseEncoder.self, from: operations)
        removeHandler(ByteToMessageHandler<HTTPRequestDecoder>.self, from: operations)
        // An idle feed reads nothing: a small read buffer instead of NIO's 2 KiB. Only a saving, and
        // it fails only on a channel closed already, which the writes below find out.
        try? channel.syncOptions?.setOption(
            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 4096))

        var bytes = channel.allocator.buffer(capacity: 512)
        bytes.writeString(RawResponseHead.statusLine(head.status))
        for field in head.headerFields {
            bytes.writeString("\(field.name.rawName): \(field.value)\r\n")
        }
        bytes.writeString("\r\n")
        channel.write(bytes, promise: nil)

        let backlog = FeedBacklog(limit: feed.mailbox.limit, byteLimit: feed.mailbox.byteLimit)
        let writer = FeedWriter(channel: channel, progress: feed.progress, backlog: backlog)
        writer.start(feed.initial)
        feed.mailbox.push(to: FeedReceiver(
            eventLoop: channel.eventLoop, writer: NIOLoopBound(writer, eventLoop: channel.eventLoop), backlog: backlog))
    }

    private static func removeHandler<Handler: RemovableChannelHandler>(
        _ type: Handler.Type, from operations: ChannelPipeline.SynchronousOperations
    ) {
        // Throws only when the handler is not (or no longer) in the pipeline: nothing to remove.
        guard let context = try? operations.context(handlerType: type) else { return }
        operations.removeHandler(context: context, promise: nil)
    }
}

/// Writes a response body through the channel's HTTP codec.
private struct ChannelBodyWriter: ResponseBodyWriter {
    let channel: any Channel

    func write(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(HTTPResponsePart.body(buffer)).get()
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await channel.writeAndFlush(HTTPResponsePart.end(trailingHeaders)).get()
    }
}

/// A request body that was larger than allowed: what was kept, then the error Hummingbird raises
/// for it (answered 413 in the envelope, as on every route).
private struct TooLargeBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let received: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var received: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = received else { throw HTTPError(.contentTooLarge) }
            received = nil
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(received: received) }
}

/// The status line of an HTTP/1.1 response head written by hand.
enum RawResponseHead {
    static func statusLine(_ status: HTTPResponse.Status) -> String {
        "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
    }
}

import Foundation
import HotRuntime
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The API's HTTP server: what Hummingbird's `Application` runs, without the work every request
/// paid there for nothing. `Application` gives each request a logger with an id of its own
/// (`hb.request.id`, a second id beside ours, which `HotRequestContext` then had to drop again),
/// binds that logger as a task-local and adds a `Server` header; here the request context is made
/// straight from the server's logger, and the response gets its `Date` (cached per second) and
/// nothing else. Connections are `FeedAwareHTTP1Channel`'s.
struct HTTPServer: Service {
    /// HummingbirdCore's server, listening and serving connections.
    let server: any Service

    func run() async throws {
        try await server.run()
    }

    /// The server as a service; `onServerRunning` is told the port it listens on.
    static func make(
        router: Router<HotRequestContext>, feeds: FeedConnections, host: String, port: Int, idleTimeout: Duration, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> HTTPServer {
        let responder = router.buildResponder()
        let channel = FeedAwareHTTP1Channel(responder: { request, writer, channel in
            try await respond(to: request, writer: writer, channel: channel, responder: responder, logger: logger)
        }, feeds: feeds, idleTimeout: idleTimeout)
        return HTTPServer(server: channel.server(
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger))
    }

    /// One request: its context, the router's answer, the `Date` header, the write.
    static func respond(
        to request: Request, writer: consuming ResponseWriter, channel: any Channel, responder: RouterResponder<HotRequestContext>, logger: Logger
    ) async throws {
        var request = request
        var continuation: ContinueOnRead.State?
        if let expectation = request.headers[.expect], expectation.lowercased() == "100-continue" {
            let state = ContinueOnRead.State()
            request.body = RequestBody(asyncSequence: ContinueOnRead(body: request.body, channel: channel, state: state))
            continuation = state
        }
        let context = HotRequestContext(source: .init(channel: channel, logger: logger))
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as HTTPParserError {
            // A malformed request: the connection answers 400 and closes.
            throw error
        } catch {
            // `APIMiddleware` answers every error of a route; this is only what escapes the router.
            context.logger.error("request failed outside the router", metadata: ["error": .string(String(reflecting: error))])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = HTTPDate.now()
        // Answered without the 100 (refused before its body was read): the client holds the body
        // back, so the connection cannot go on to a next request; it closes after this answer
        // rather than waiting for a body that will not come.
        let closing = continuation?.answer() == true && Self.declaresBody(request.headers)
        if closing { response.headers[.connection] = "close" }
        do {
            try await writer.write(response: response.head, body: response.body)
        } catch is HTTPParserError {
            // The request turned out malformed while its answer was written: no second answer,
            // the connection closes.
            throw ConnectionEnded()
        }
        if closing { throw ConnectionEnded() }
    }

    static func declaresBody(_ headers: HTTPFields) -> Bool {
        headers[.transferEncoding] != nil || (headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
    }

    struct ConnectionEnded: Error {}
}

/// The body of a request that sent `Expect: 100-continue` (curl does for bodies over 1 MB; so do
/// many clients for uploads): the interim `100 Continue` is written when the route first asks for
/// the body. A request refused before its body is read (401, 403, 404) is answered without it, so
/// the client never sends the body; one that is read no longer waits on the client's timer (curl
/// waits a second for the 100 before sending anyway).
struct ContinueOnRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let channel: any Channel
    let state: State

    /// What the body and the request's answer share: no 100 once the answer is on its way (a
    /// body read after it, by a response body that streams, say, must not put a 100 after it).
    final class State: Sendable {
        private let flags = Mutex((continued: false, answered: false))

        /// Whether the 100 is to be written now: the first read, before the answer.
        func continues() -> Bool {
            flags.withLock { flags in
                guard !flags.continued, !flags.answered else { return false }
                flags.continued = true
                return true
            }
        }

        /// The answer is about to be written; true when no 100 went out.
        func answer() -> Bool {
            flags.withLock { flags in
                flags.answered = true
                return !flags.continued
            }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var body: RequestBody.AsyncIterator
        /// Until the first read: where the 100 goes.
        var channel: (any Channel)?
        let state: State

        mutating func next() async throws -> ByteBuffer? {
            if let channel {
                self.channel = nil
                if state.continues() {
                    // Through the pipeline from its tail, as the response will go; written before
                    // any part of the body is asked for, so before the final response.
                    try await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue))).get()
                }
            }
            return try await body.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator(), channel: channel, state: state)
    }
}

/// The `Date` header's value (IMF-fixdate, RFC 9110, e.g. `Tue, 01 Dec 2026 22:29:07 GMT`), made
/// once a second.
enum HTTPDate {
    private static let cached = Mutex<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        let second = time(nil)
        return cached.withLock { cached in
            if cached.second != second { cached = (second, format(second)) }
            return cached.text
        }
    }

    static func format(_ second: Int) -> String {
        var seconds = second
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

import Foundation
import HotTestSupport
import NIOCore
import NIOPosix

/// A TCP client that writes raw HTTP/1.1 and reads only when asked: left alone, it is a client that
/// has stopped reading (its small receive buffer fills, then the server's send buffer).
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: AsyncStream<ByteBuffer>

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation

        init(_ continuation: AsyncStream<ByteBuffer>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }
    }

    private init(channel: any Channel, received: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.received = received
    }

    /// Connects to `baseURL` (`http://host:port`) with a receive buffer of `receiveBuffer` bytes.
    static func open(_ baseURL: String, receiveBuffer: Int = 4096) async throws -> RawConnection {
        guard let url = URL(string: baseURL) else { throw TestFailure("not a URL: \(baseURL)") }
        let (received, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: receiveBuffer)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(continuation)) }
            }
            .connect(host: url.host ?? "127.0.0.1", port: url.port ?? 80).get()
        return RawConnection(channel: channel, received: received)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Reads until what arrived (since the last call) contains `marker`; returns it all. Nil when the
    /// server closed the connection first.
    func read(until marker: String, within limit: Duration = .seconds(20)) async throws -> String? {
        let channel = self.channel, received = self.received
        return try await Deadline.within(limit, waitingFor: "\(marker.debugDescription) from the server") {
            var text = ""
            var iterator = received.makeAsyncIterator()
            while !text.contains(marker) {
                channel.read()
                guard let buffer = await iterator.next() else { return nil }
                text += String(buffer: buffer)
            }
            return text
        }
    }

    /// Reads until the server closes the connection.
    func readToEnd(within limit: Duration = .seconds(20)) async throws -> String {
        let channel = self.channel, received = self.received
        return try await Deadline.within(limit, waitingFor: "the server to close the connection") {
            var text = ""
            var iterator = received.makeAsyncIterator()
            while true {
                channel.read()
                guard let buffer = await iterator.next() else { return text }
                text += String(buffer: buffer)
            }
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Polls `condition` until it holds; the limit bounds the wait (there is no event to wait on).
func eventually(_ what: String, within limit: Duration = .seconds(20), _ condition: @escaping @Sendable () -> Bool) async throws {
    try await Deadline.within(limit, waitingFor: what) {
        while !condition() { try await Task.sleep(for: .milliseconds(5)) }
    }
}

import NIOCore
import NIOPosix

/// A bare TCP connection to a test server, for clients that misbehave: a request whose headers never
/// end (slowloris), an answer never read. Nothing here blocks a thread.
public final class SlowClientConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host:port`. `reading` false: nothing sent back is ever read (the socket's receive
    /// buffer, `receiveBuffer` bytes when given, fills and the server's writes stall); true: what
    /// arrives is read and discarded, so a close by the server is seen. `sending`: written as soon as
    /// the connection is made, on its event loop (a later `send` waits for the test's task to be
    /// scheduled, which on a loaded machine can take longer than a short idle timeout).
    public static func open(host: String = "127.0.0.1", port: Int, reading: Bool, receiveBuffer: Int32? = nil,
                            sending initial: String? = nil) async throws -> SlowClientConnection {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
        if let receiveBuffer {
            // Set before connecting, so the window the server sees is small from the start.
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel = try await bootstrap.connect(host: host, port: port).flatMap { channel in
            guard let initial else { return channel.eventLoop.makeSucceededFuture(channel) }
            return channel.writeAndFlush(ByteBuffer(string: initial)).map { channel }
        }.get()
        return SlowClientConnection(channel: channel)
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { channel.isActive }

    /// Sends `text` (UTF-8) as it is.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Returns once the connection is closed (by the server, when reading); throws past `limit`.
    public func closed(within limit: Duration) async throws {
        let channel = self.channel
        try await Deadline.within(limit, waitingFor: "the server to close a connection") {
            // Polls (the deadline bounds it): a close future cannot be given up when the deadline passes.
            while channel.isActive { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    public func close() async {
        try? await channel.close().get()
    }
}

import NIOCore
import NIOPosix
import Synchronization

/// An in-process UDP DNS server on 127.0.0.1 for tests. Answers any query for a name in its table with
/// one CNAME record, and everything else with NXDOMAIN. Self-contained: it does not use `DNSMessage`.
public final class TestDNSServer: Sendable {
    /// How the server reacts to queries.
    public enum Mode: Sendable {
        /// Answer from the table (CNAME or NXDOMAIN).
        case answer
        /// Drop every query silently (for timeout tests).
        case drop
        /// Answer every query with SERVFAIL (rcode 2).
        case serverFailure
    }

    struct State {
        var table: [String: String] = [:]
        var mode = Mode.answer
        var queries = 0
    }

    /// Holds the state in a class so the channel handler and the server can share it (Mutex is ~Copyable).
    final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let channel: any Channel
    private let shared: Shared
    /// Where the server listens (127.0.0.1, ephemeral port).
    public let address: SocketAddress

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let shared = Shared()
        self.shared = shared
        let handler = { @Sendable (query: [UInt8]) -> [UInt8]? in
            shared.state.withLock { Self.reply(to: query, state: &$0) }
        }
        channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(QueryHandler(reply: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        address = channel.localAddress!
    }

    /// Makes `name` (case-insensitive, trailing dot optional) answer with a CNAME to `target` (sent as given).
    public func setCNAME(_ name: String, to target: String) {
        shared.state.withLock { $0.table[Self.key(name)] = target }
    }

    public func remove(_ name: String) {
        shared.state.withLock { _ = $0.table.removeValue(forKey: Self.key(name)) }
    }

    public func setMode(_ mode: Mode) {
        shared.state.withLock { $0.mode = mode }
    }

    /// Number of queries answered (dropped and unparsable ones are not counted).
    public var queries: Int { shared.state.withLock { $0.queries } }

    public func close() async throws {
        try await channel.close()
    }

    private static func key(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }

    /// The reply datagram for `query`, or nil to stay silent.
    private static func reply(to query: [UInt8], state: inout State) -> [UInt8]? {
        guard state.mode != .drop, query.count >= 12, query[2] & 0x80 == 0, query[4] == 0, query[5] == 1 else { return nil }
        // Read the (uncompressed) question name.
        var labels: [String] = []
        var position = 12
        while position < query.count, query[position] != 0 {
            let length = Int(query[position])
            guard length <= 63, position + 1 + length < query.count else { return nil }
            labels.append(String(decoding: query[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        let questionEnd = position + 5  // zero octet, QTYPE, QCLASS
        guard questionEnd <= query.count else { return nil }
        state.queries += 1

        let target = state.mode == .answer ? state.table[key(labels.joined(separator: "."))] : nil
        let rcode: UInt8 = state.mode == .serverFailure ? 2 : (target == nil ? 3 : 0)
        var out = Array(query[0..<2])
        out += [0x80 | (query[2] & 0x79), 0x80 | rcode]  // QR, opcode+RD copied, RA, rcode
        out += [0, 1, 0, target == nil ? 0 : 1, 0, 0, 0, 0]
        out += query[12..<questionEnd]
        if let target {
            var rdata: [UInt8] = []
            for label in key(target).isEmpty ? [] : target.split(separator: ".") {
                rdata.append(UInt8(label.utf8.count))
                rdata += label.utf8
            }
            rdata.append(0)
            out += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)]
            out += rdata
        }
        return out
    }
}

/// Replies to each datagram with whatever `reply` returns for it.
private final class QueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let reply: @Sendable ([UInt8]) -> [UInt8]?

    init(reply: @escaping @Sendable ([UInt8]) -> [UInt8]?) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let answer = reply(Array(envelope.data.readableBytesView)) else { return }
        let response = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: answer))
        context.writeAndFlush(wrapOutboundOut(response), promise: nil)
    }
}

import Foundation
import NIOCore
import NIOPosix

/// What the domain checker needs from DNS.
public protocol DNSLookup: Sendable {
    /// The CNAME target(s) of `name`, lower-cased and without the trailing dot; empty when the name
    /// has none (NXDOMAIN or no CNAME). Throws on timeouts, malformed answers and server failures (SERVFAIL, REFUSED).
    func cnames(of name: String) async throws -> [String]
}

/// Why a DNS lookup failed.
public enum DNSError: Error, Equatable {
    /// No matching answer arrived in time.
    case timeout
    /// The answer could not be parsed (bad lengths, bad compression pointers, ...).
    case malformedAnswer
    /// The answer had the TC bit set; TCP fallback is not supported.
    case truncated
    /// The server answered with an error rcode other than NXDOMAIN (e.g. 2 SERVFAIL, 5 REFUSED).
    case serverFailure(rcode: UInt8)
    /// The name is empty, has an empty or over-long (> 63 octets) label, or exceeds 255 octets.
    case invalidName(String)
    /// A server address that is not "ip", "ip:port" or "[ipv6]:port".
    case invalidAddress(String)
}

/// Asks one DNS server over UDP.
public struct DNSResolver: DNSLookup {
    public let server: SocketAddress
    public let timeout: Duration
    private let group: any EventLoopGroup

    public init(server: SocketAddress, timeout: Duration = .seconds(3), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.server = server
        self.timeout = timeout
        self.group = group
    }

    public func cnames(of name: String) async throws -> [String] {
        let question = try DNSMessage.normalize(name)
        let id = UInt16.random(in: .min ... .max)
        let query = try DNSMessage.query(for: question, id: id)
        let loop = group.next()
        let promise = loop.makePromise(of: [String].self)
        let server = self.server
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ReplyHandler(server: server, question: question, id: id, promise: promise))
                    }
                }
                .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
        } catch {
            promise.fail(error)
            throw error
        }
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) { promise.fail(DNSError.timeout) }
        let envelope = AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: query))
        channel.writeAndFlush(envelope).whenFailure { promise.fail($0) }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// The first `nameserver` of a resolv.conf (default /etc/resolv.conf), port 53; nil when none.
    public static func systemServer(resolvConf: String = "/etc/resolv.conf") -> SocketAddress? {
        // No readable resolv.conf is no nameserver: the server then logs that none is configured.
        guard let text = try? String(contentsOfFile: resolvConf, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let words = content.split(whereSeparator: \.isWhitespace)
            guard words.count >= 2, words[0] == "nameserver" else { continue }
            // Not an IP literal (a malformed line): the next nameserver line is tried.
            if let address = try? SocketAddress(ipAddress: String(words[1]), port: 53) { return address }
        }
        return nil
    }

    /// Parses "host:port", "host" (port 53) or "[v6]:port" into an address. The host must be an IP literal.
    public static func address(_ text: String) throws -> SocketAddress {
        var host = Substring(text)
        var port: Substring? = nil
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw DNSError.invalidAddress(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw DNSError.invalidAddress(text) }
                port = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        let portNumber = port.map { UInt16($0) } ?? 53
        guard let portNumber, portNumber != 0,
              let address = try? SocketAddress(ipAddress: String(host), port: Int(portNumber))
        else { throw DNSError.invalidAddress(text) }
        return address
    }
}

/// Completes `promise` with the first datagram from `server` that answers our query; ignores others.
private final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let server: SocketAddress, question: String, id: UInt16
    let promise: EventLoopPromise<[String]>

    init(server: SocketAddress, question: String, id: UInt16, promise: EventLoopPromise<[String]>) {
        (self.server, self.question, self.id, self.promise) = (server, question, id, promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress.ipAddress == server.ipAddress, envelope.remoteAddress.port == server.port else { return }
        do {
            if let names = try DNSMessage.parseCNAMEs(Array(envelope.data.readableBytesView), question: question, id: id) {
                promise.succeed(names)
            }
        } catch {
            promise.fail(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { promise.fail(error) }
    func channelInactive(context: ChannelHandlerContext) { promise.fail(ChannelError.ioOnClosedChannel) }
}

/// DNS wire format (RFC 1035): just enough to ask for and read CNAME records.
enum DNSMessage {
    static let typeCNAME: UInt16 = 5, classIN: UInt16 = 1

    /// Lower-cases `name`, drops one trailing dot and validates its labels.
    static func normalize(_ name: String) throws -> String {
        let lower = name.lowercased()
        let trimmed = lower.hasSuffix(".") ? String(lower.dropLast()) : lower
        guard (try? encodeName(trimmed)) != nil else { throw DNSError.invalidName(name) }
        return trimmed
    }

    /// Uncompressed wire encoding: each label 1...63 octets, 255 octets in all.
    static func encodeName(_ name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            guard (1...63).contains(bytes.count) else { throw DNSError.invalidName(name) }
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out.append(0)
        guard out.count <= 255 else { throw DNSError.invalidName(name) }
        return out
    }

    /// A recursive (RD=1) query for the CNAME of `name`.
    static func query(for name: String, id: UInt16) throws -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        out += try encodeName(name)
        out += [0, UInt8(typeCNAME), 0, UInt8(classIN)]
        return out
    }

    /// nil when `bytes` is not a reply to our query (other id, not a response, other question);
    /// otherwise the CNAME targets of `question` (normalized). Throws on malformed or failed replies.
    static func parseCNAMEs(_ bytes: [UInt8], question: String, id: UInt16) throws -> [String]? {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12, try reader.u16() == id else { return nil }
        let flags = try reader.u16()
        let (qdCount, anCount) = (try reader.u16(), try reader.u16())
        reader.position = 12
        guard flags & 0x8000 != 0, qdCount == 1 else { return nil }
        guard try reader.name() == question, try reader.u16() == typeCNAME, try reader.u16() == classIN else { return nil }
        if flags & 0x0200 != 0 { throw DNSError.truncated }
        switch UInt8(flags & 0x000F) {
        case 0: break
        case 3: return []
        case let rcode: throw DNSError.serverFailure(rcode: rcode)
        }
        var targets: [String] = []
        for _ in 0..<anCount {
            let owner = try reader.name()
            let (type, klass) = (try reader.u16(), try reader.u16())
            _ = try reader.u16(); _ = try reader.u16()  // TTL
            let length = Int(try reader.u16())
            let end = reader.position + length
            guard end <= bytes.count else { throw DNSError.malformedAnswer }
            if type == typeCNAME, klass == classIN, owner == question {
                let target = try reader.name()
                guard reader.position == end else { throw DNSError.malformedAnswer }
                targets.append(target)
            }
            reader.position = end
        }
        return targets
    }

    /// A bounds-checked cursor over a message; every overrun throws `DNSError.malformedAnswer`.
    struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func u8() throws -> UInt8 {
            guard position < bytes.count else { throw DNSError.malformedAnswer }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }

        /// Reads a possibly compressed name, lower-cased and dot-joined; leaves `position` after it.
        mutating func name() throws -> String {
            var labels: [String] = [], octets = 1, jumps = 0
            var cursor = Reader(bytes: bytes, position: position)
            var resume: Int? = nil
            while true {
                let length = try cursor.u8()
                switch length & 0xC0 {
                case 0xC0:
                    let target = Int(length & 0x3F) << 8 | Int(try cursor.u8())
                    jumps += 1
                    guard jumps <= 64, target < bytes.count else { throw DNSError.malformedAnswer }
                    resume = resume ?? cursor.position
                    cursor.position = target
                case 0 where length == 0:
                    position = resume ?? cursor.position
                    return labels.joined(separator: ".").lowercased()
                case 0:
                    let end = cursor.position + Int(length)
                    octets += Int(length) + 1
                    guard end <= bytes.count, octets <= 255 else { throw DNSError.malformedAnswer }
                    labels.append(String(decoding: bytes[cursor.position..<end], as: UTF8.self))
                    cursor.position = end
                default:
                    throw DNSError.malformedAnswer  // 0x40 / 0x80: extended label types
                }
            }
        }
    }
}

import NIOCore

/// Client addresses as rate limits count them: an IPv4 address by itself, an IPv6 address by its
/// /64 (one subscriber usually holds a whole /64, so counting single addresses would not limit it).
/// Read from the socket address's bytes: no text is made on the request path.
public enum ClientAddress {
    public enum Key: Hashable, Sendable {
        /// An IPv4 address (also one an IPv6 socket carries as `::ffff:a.b.c.d`), network order.
        case v4(UInt32)
        /// The first 64 bits of an IPv6 address, network order.
        case v6Prefix(UInt64)
        /// No IP address (a Unix socket, or none known): all such clients count as one.
        case unknown
    }

    public static func rateLimitKey(_ address: SocketAddress?) -> Key {
        switch address {
        case .v4(let v4):
            return .v4(v4.address.sin_addr.s_addr)
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { bytes in
                // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 client.
                if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                    return .v4(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                }
                return .v6Prefix(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            }
        default:
            return .unknown
        }
    }
}

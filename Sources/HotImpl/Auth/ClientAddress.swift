#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Client addresses as rate limits count them: an IPv4 address by itself, an IPv6 address by its
/// /64 (one subscriber usually holds a whole /64, so counting single addresses would not limit it).
public enum ClientAddress {
    public static func rateLimitKey(_ address: String?) -> String {
        guard let address, address.contains(":") else { return address ?? "unknown" }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 client.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ".") + "/64"
    }
}

import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time.
    /// Every request makes one (its request id): two draws of randomness, no array.
    public static func v7(now: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let a: UInt64 = generator.next()
        let b: UInt64 = generator.next()
        func byte(_ value: UInt64, _ index: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> (8 * (7 - index))) }
        return UUID(uuid: (
            byte(millis, 2), byte(millis, 3), byte(millis, 4), byte(millis, 5), byte(millis, 6), byte(millis, 7),
            (byte(a, 0) & 0x0F) | 0x70,  // version 7
            byte(a, 1),
            (byte(b, 0) & 0x3F) | 0x80,  // RFC 9562 variant
            byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The lowercase form the API writes everywhere, written straight from the bytes.
    public var lowercased: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var out = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    buffer[out] = Self.hexDigits[Int(byte >> 4)]
                    buffer[out + 1] = Self.hexDigits[Int(byte & 0x0F)]
                    out += 2
                }
                return out
            }
        }
    }
}

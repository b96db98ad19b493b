import Foundation
import Synchronization

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time.
    /// Every request makes one (its request id): its random bits come from a pool the kernel refills
    /// 4 KiB at a time, not from a system call each.
    public static func v7(now: Date = Date()) -> UUID {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let (a, b) = RandomPool.shared.next()
        func byte(_ value: UInt64, _ index: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> (8 * (7 - index))) }
        return UUID(uuid: (
            byte(millis, 2), byte(millis, 3), byte(millis, 4), byte(millis, 5), byte(millis, 6), byte(millis, 7),
            (byte(a, 0) & 0x0F) | 0x70,  // version 7
            byte(a, 1),
            (byte(b, 0) & 0x3F) | 0x80,  // RFC 9562 variant
            byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)))
    }

    /// The lowercase form the API writes everywhere, written straight from the bytes.
    public var lowercased: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            writeLowercase(into: buffer)
            return 36
        }
    }

    /// The 36 bytes of `lowercased` written into `buffer` (at least 36 long): no string made.
    func writeLowercase(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        withUnsafeBytes(of: uuid) { bytes in
            var out = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[out] = UInt8(ascii: "-")
                    out += 1
                }
                buffer[out] = HexString.digits[Int(byte >> 4)]
                buffer[out + 1] = HexString.digits[Int(byte & 0x0F)]
                out += 2
            }
        }
    }
}

/// Random bits from the kernel's generator (`/dev/urandom`, kept open), read 4 KiB at a time and
/// handed out 128 bits at a time under a lock: the same randomness as `SystemRandomNumberGenerator`,
/// with one system call per 256 ids instead of two per id.
final class RandomPool: Sendable {
    static let shared = RandomPool()

    private struct Pool {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512
    }

    private let pool = Mutex(Pool())
    /// -1 when it could not be opened: the standard library's generator then.
    private let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    func next() -> (UInt64, UInt64) {
        pool.withLock { pool in
            if pool.next + 2 > pool.words.count {
                pool.words.withUnsafeMutableBytes { buffer in
                    var filled = 0
                    while filled < buffer.count {
                        let got = urandom < 0 ? -1 : read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
                        if got > 0 {
                            filled += got
                        } else if got == 0 || errno != EINTR {
                            var generator = SystemRandomNumberGenerator()
                            for index in stride(from: filled, to: buffer.count, by: 1) { buffer[index] = generator.next() }
                            filled = buffer.count
                        }
                    }
                }
                pool.next = 0
            }
            defer { pool.next += 2 }
            return (pool.words[pool.next], pool.words[pool.next + 1])
        }
    }
}

import Crypto
import Foundation
import HotRuntime

/// Secrets are stored only as SHA-256 digests (lowercase hex) and compared in constant time.
public enum SecretHash {
    public static func digest(_ secret: String) -> String {
        HexString.lowercase(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Whether `secret` hashes to `stored`, taking the same time wherever the first difference is.
    /// The digest's bytes are compared with the stored hex as it is read (every authenticated
    /// request checks one: no hex string is made for it).
    public static func matches(_ secret: String, digest stored: String) -> Bool {
        var secret = secret, stored = stored
        let computed = secret.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return stored.withUTF8 { expected in
            computed.withUnsafeBytes { computed in
                guard expected.count == computed.count * 2 else { return false }
                var difference: UInt8 = 0
                for (index, byte) in computed.enumerated() {
                    // Digests are stored in lowercase hex: any other byte (uppercase too) is not one.
                    let (highText, lowText) = (expected[2 * index], expected[2 * index + 1])
                    guard !(0x41...0x46).contains(highText), !(0x41...0x46).contains(lowText),
                          let high = HexString.value(of: highText), let low = HexString.value(of: lowText)
                    else { return false }
                    difference |= byte ^ (high << 4 | low)
                }
                return difference == 0
            }
        }
    }

    /// `count` random bytes as lowercase hex.
    public static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return HexString.lowercase((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

import Crypto
import Foundation
import HotRuntime

/// Secrets are stored only as SHA-256 digests (lowercase hex) and compared in constant time.
public enum SecretHash {
    public static func digest(_ secret: String) -> String {
        HexString.lowercase(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Whether `secret` hashes to `stored`, taking the same time wherever the first difference is.
    public static func matches(_ secret: String, digest stored: String) -> Bool {
        let computed = Array(digest(secret).utf8)
        let expected = Array(stored.utf8)
        guard computed.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(computed, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// `count` random bytes as lowercase hex.
    public static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return HexString.lowercase((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

import Foundation
import HotRuntime

/// The three bearer credentials and their token shapes. The id part finds the row; the secret
/// part is checked against the stored SHA-256 digest.
/// - API key: `hot_<32 hex id>_<64 hex secret>`
/// - session: `s_<32 hex id>_<32 hex secret>`
/// - service key: `<32 hex id>_<32 hex secret>` (no prefix: white-label)
public enum BearerToken: Sendable, Equatable {
    case apiKey(APIKeyToken)
    case session(id: UUID, secret: String)
    case serviceKey(id: UUID, secret: String)

    /// The id of the credential the token names, and its kind.
    var credentialId: UUID {
        switch self {
        case .apiKey(let key): key.keyId
        case .session(let id, _), .serviceKey(let id, _): id
        }
    }

    var kind: CredentialKind {
        switch self {
        case .apiKey: .apiKey
        case .session: .session
        case .serviceKey: .serviceKey
        }
    }

    var secret: String {
        switch self {
        case .apiKey(let key): key.secret
        case .session(_, let secret), .serviceKey(_, let secret): secret
        }
    }

    /// Nil unless `text` has exactly one of the three shapes (hex digits ASCII, either case; the
    /// secret is normalised to lowercase). Read byte by byte: every authenticated request parses one.
    public static func parse(_ text: String) -> BearerToken? {
        var text = text
        return text.withUTF8 { bytes -> BearerToken? in
            let apiKeyPrefix = Array("hot_".utf8), sessionPrefix = Array("s_".utf8)
            if bytes.starts(with: apiKeyPrefix) {
                return idAndSecret(UnsafeBufferPointer(rebasing: bytes[apiKeyPrefix.count...]), secretLength: 64)
                    .map { .apiKey(APIKeyToken(keyId: $0.0, secret: $0.1)) }
            }
            if bytes.starts(with: sessionPrefix) {
                return idAndSecret(UnsafeBufferPointer(rebasing: bytes[sessionPrefix.count...]), secretLength: 32)
                    .map { .session(id: $0.0, secret: $0.1) }
            }
            return idAndSecret(bytes, secretLength: 32).map { .serviceKey(id: $0.0, secret: $0.1) }
        }
    }

    /// A new session token for `id`: the text to hand out once, and its secret.
    public static func newSession(id: UUID) -> (text: String, secret: String) {
        let secret = SecretHash.randomHex(bytes: 16)
        return ("s_\(id.hex32)_\(secret)", secret)
    }

    /// A new service-key token for `id`: the text to hand out once, and its secret.
    public static func newServiceKey(id: UUID) -> (text: String, secret: String) {
        let secret = SecretHash.randomHex(bytes: 16)
        return ("\(id.hex32)_\(secret)", secret)
    }

    /// `<32 hex id>_<secretLength hex secret>`, exactly.
    static func idAndSecret(_ bytes: UnsafeBufferPointer<UInt8>, secretLength: Int) -> (UUID, String)? {
        guard bytes.count == 32 + 1 + secretLength, bytes[32] == UInt8(ascii: "_") else { return nil }
        var id = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 {
            guard let high = HexString.value(of: bytes[2 * index]), let low = HexString.value(of: bytes[2 * index + 1]) else { return nil }
            id[index] = high << 4 | low
        }
        var secret = [UInt8](repeating: 0, count: secretLength)
        for index in 0..<secretLength {
            let byte = bytes[33 + index]
            guard HexString.value(of: byte) != nil else { return nil }
            secret[index] = byte | 0x20  // ASCII letters to lowercase; digits already have the bit
        }
        let uuid = id.withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }
        return (UUID(uuid: uuid), String(decoding: secret, as: UTF8.self))
    }
}

extension UUID {
    /// The 32 lowercase hex digits, without dashes.
    var hex32: String { uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
}

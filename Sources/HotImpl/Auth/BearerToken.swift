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

    public static func parse(_ text: String) -> BearerToken? {
        if text.hasPrefix("hot_") { return APIKeyToken.parse(text).map(BearerToken.apiKey) }
        if text.hasPrefix("s_") {
            return idAndSecret(text.dropFirst(2), secretLength: 32).map { .session(id: $0.0, secret: $0.1) }
        }
        return idAndSecret(Substring(text), secretLength: 32).map { .serviceKey(id: $0.0, secret: $0.1) }
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

    static func idAndSecret(_ text: Substring, secretLength: Int) -> (UUID, String)? {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 32, parts[1].count == secretLength,
              parts[0].allSatisfy(\.isASCIIHexDigit), parts[1].allSatisfy(\.isASCIIHexDigit),
              let id = UUID(hex32: String(parts[0]))
        else { return nil }
        return (id, parts[1].lowercased())
    }
}

extension UUID {
    /// The 32 lowercase hex digits, without dashes.
    var hex32: String { uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
}

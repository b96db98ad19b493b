import Foundation

/// An API key token, `hot_<key id: 32 hex>_<secret: 64 hex>`. The id finds the row; the secret is
/// checked against its stored digest.
public struct APIKeyToken: Sendable, Equatable {
    public var keyId: UUID
    public var secret: String

    public init(keyId: UUID, secret: String) {
        self.keyId = keyId
        self.secret = secret
    }

    /// A fresh token for a new key.
    public static func generate(keyId: UUID) -> APIKeyToken {
        APIKeyToken(keyId: keyId, secret: SecretHash.randomHex(bytes: 32))
    }

    public var text: String {
        "hot_" + keyId.hex32 + "_" + secret
    }

    /// Nil unless `text` has exactly the token's shape.
    public static func parse(_ text: String) -> APIKeyToken? {
        guard case .apiKey(let token)? = BearerToken.parse(text) else { return nil }
        return token
    }
}

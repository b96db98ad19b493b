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
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "hot",
              parts[1].count == 32, parts[1].allSatisfy(\.isASCIIHexDigit),
              parts[2].count == 64, parts[2].allSatisfy(\.isASCIIHexDigit),
              let keyId = UUID(hex32: String(parts[1]))
        else { return nil }
        return APIKeyToken(keyId: keyId, secret: String(parts[2]).lowercased())
    }
}

extension Character {
    /// 0-9, a-f, A-F. `isHexDigit` also accepts the fullwidth forms (U+FF10…), which are not token text.
    var isASCIIHexDigit: Bool { isASCII && isHexDigit }
}

extension UUID {
    /// A UUID from its 32 hex digits without dashes.
    init?(hex32 hex: String) {
        guard hex.count == 32 else { return nil }
        let h = Array(hex)
        let dashed = String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
        self.init(uuidString: dashed)
    }
}

import Crypto
import Foundation
import HotRuntime

/// Seals secrets at rest with AES-256-GCM under the server's encryption key: a random nonce per
/// value, stored with the ciphertext and tag as one base64 string.
public struct SecretBox: Sendable {
    /// The raw key (SymmetricKey is not Sendable, so the box keeps the bytes and makes one per use).
    let keyBytes: [UInt8]

    public init(keyBytes: [UInt8]) {
        self.keyBytes = keyBytes
    }

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public func seal(_ plaintext: Data) throws -> String {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw APIError.internalError()
        }
        return combined.base64EncodedString()
    }

    /// Fails when the value was sealed under another key or altered.
    public func open(_ sealed: String) throws -> Data {
        guard let combined = Data(base64Encoded: sealed) else { throw APIError.internalError() }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key)
    }

    /// Seals `plaintext` bound to `context` (associated data, e.g. the row it belongs to): it
    /// opens only with the same context, so a sealed value copied elsewhere is useless.
    public func seal(_ plaintext: Data, boundTo context: Data) throws -> String {
        guard let combined = try AES.GCM.seal(plaintext, using: key, authenticating: context).combined else {
            throw APIError.internalError()
        }
        return combined.base64EncodedString()
    }

    /// Opens a value sealed with `seal(_:boundTo:)`; fails for another context, key or an alteration.
    public func open(_ sealed: String, boundTo context: Data) throws -> Data {
        guard let combined = Data(base64Encoded: sealed) else { throw APIError.internalError() }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key, authenticating: context)
    }
}

extension SecretBox {
    /// An HMAC-SHA256 of `message` under a key derived from the server's key for `purpose` (never
    /// the encryption key itself): values only this server can compute, stable across processes.
    public func authenticationCode(_ message: String, purpose: String) -> [UInt8] {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("hot-server:\(purpose)".utf8), outputByteCount: 32)
        return Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: derived))
    }
}

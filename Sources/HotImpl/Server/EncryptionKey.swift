import Crypto
import Foundation

/// The AES-256-GCM key for context values and service-key metadata: `HOT_ENCRYPTION_KEY`, or a key
/// generated once into `$HOT_DATA_DIR/encryption.key` (mode 0600) and read from there afterwards.
public enum EncryptionKey {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(configured: String?, dataDirectory: URL) throws -> SecretBox {
        if let configured { return SecretBox(key: try decode(configured, source: "HOT_ENCRYPTION_KEY")) }
        let file = dataDirectory.appendingPathComponent("encryption.key")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            return SecretBox(key: try decode(text.trimmingCharacters(in: .whitespacesAndNewlines), source: file.path))
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        // Created with 0600 from the start, so the key is never readable by others.
        guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Invalid(description: "cannot write \(file.path)")
        }
        return SecretBox(key: key)
    }

    static func decode(_ text: String, source: String) throws -> SymmetricKey {
        guard let data = Data(base64Encoded: text), data.count == 32 else {
            throw Invalid(description: "\(source) must be the base64 of exactly 32 bytes")
        }
        return SymmetricKey(data: data)
    }
}

import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AES-256-GCM key for context values and service-key metadata: `HOT_ENCRYPTION_KEY`, or a key
/// generated once into `$HOT_DATA_DIR/encryption.key` (mode 0600) and read from there afterwards.
/// A key that exists is never replaced: losing it would make every sealed value unreadable.
public enum EncryptionKey {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(configured: String?, dataDirectory: URL) throws -> SecretBox {
        if let configured { return SecretBox(key: try decode(configured, source: "HOT_ENCRYPTION_KEY")) }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let file = dataDirectory.appendingPathComponent("encryption.key")
        _ = try createExclusively(file)
        return try read(file)
    }

    /// Writes a fresh key to `file` unless it exists; false when another process (or an earlier
    /// start) made it first. The key is written whole to a private temporary file (0600 from its
    /// creation) and published with link(2), which fails rather than replace an existing file, so a
    /// reader never sees a half-written key.
    static func createExclusively(_ file: URL) throws -> Bool {
        if FileManager.default.fileExists(atPath: file.path) { return false }
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".encryption.key.\(UUID().uuidString)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw Invalid(description: "cannot create \(temporary.path): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary.path) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let key = SymmetricKey(size: .bits256)
        try handle.write(contentsOf: Data((key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n").utf8))
        try handle.synchronize()
        try handle.close()
        if link(temporary.path, file.path) == 0 { return true }
        if errno == EEXIST { return false }
        throw Invalid(description: "cannot create \(file.path): \(String(cString: strerror(errno)))")
    }

    static func read(_ file: URL) throws -> SecretBox {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw Invalid(description: "cannot read \(file.path): \(error.localizedDescription)")
        }
        return SecretBox(key: try decode(text.trimmingCharacters(in: .whitespacesAndNewlines), source: file.path))
    }

    static func decode(_ text: String, source: String) throws -> SymmetricKey {
        guard let data = Data(base64Encoded: text), data.count == 32 else {
            throw Invalid(description: "\(source) must be the base64 of exactly 32 bytes")
        }
        return SymmetricKey(data: data)
    }
}

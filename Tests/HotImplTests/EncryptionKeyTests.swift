import Foundation
import HotImpl
import Testing

@Suite("EncryptionKey")
struct EncryptionKeyTests {
    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("hot-key-\(UUID().uuidString)")
    }

    @Test("the generated key is private (0600) and the same on every later load")
    func generatedOnce() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try EncryptionKey.load(configured: nil, dataDirectory: dir)
        let sealed = try first.seal(Data("secret".utf8))
        let again = try EncryptionKey.load(configured: nil, dataDirectory: dir)
        #expect(try again.open(sealed) == Data("secret".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("encryption.key").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["encryption.key"])
    }

    @Test("an unreadable or corrupt key file is an error, never silently replaced")
    func corruptKeyIsKept() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("encryption.key")
        try "not a key".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: EncryptionKey.Invalid.self) { try EncryptionKey.load(configured: nil, dataDirectory: dir) }
        #expect(try String(contentsOf: file, encoding: .utf8) == "not a key")
    }

    @Test("concurrent first starts agree on one key")
    func concurrentStarts() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let boxes = try await withThrowingTaskGroup(of: SecretBox.self) { group in
            for _ in 0..<8 { group.addTask { try EncryptionKey.load(configured: nil, dataDirectory: dir) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let sealed = try boxes[0].seal(Data("x".utf8))
        for box in boxes { #expect(try box.open(sealed) == Data("x".utf8)) }
    }

    @Test("HOT_ENCRYPTION_KEY must be base64 of 32 bytes")
    func configured() throws {
        let good = Data(repeating: 7, count: 32).base64EncodedString()
        _ = try EncryptionKey.load(configured: good, dataDirectory: directory())
        #expect(throws: EncryptionKey.Invalid.self) {
            try EncryptionKey.load(configured: Data(repeating: 7, count: 16).base64EncodedString(), dataDirectory: directory())
        }
    }
}

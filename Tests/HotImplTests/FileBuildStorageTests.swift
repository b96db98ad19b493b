import Foundation
import HotImpl
import Logging
import Testing

@Suite("FileBuildStorage")
struct FileBuildStorageTests {
    static let logger = Logger(label: "hot.tests.file-storage")

    /// A fresh directory under the temp dir, removed after `body`.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hot-file-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test("store moves the file under the root; open streams it back in chunks; delete removes it")
    func roundTrip() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            #expect(storage.backend == "file")
            let bytes = Self.randomBytes(300_000)
            // The server spools uploads inside the root (builds/.spool), so storing one is a rename.
            let spool = directory.appendingPathComponent("builds/.spool")
            try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
            let upload = spool.appendingPathComponent("upload.tmp")
            try Data(bytes).write(to: upload)

            let path = try await storage.store(file: upload, size: Int64(bytes.count), key: "proj-1/build-1.hot.zip")
            #expect(path == storage.root.path + "/proj-1/build-1.hot.zip")
            #expect(path.hasPrefix("/"))
            #expect(!FileManager.default.fileExists(atPath: upload.path))
            #expect(FileManager.default.fileExists(atPath: path))

            let archive = try await storage.open(path: path)
            #expect(archive.size == Int64(bytes.count))
            #expect(archive.body.contentLength == bytes.count)
            let read = try await CollectingBodyWriter.collect(archive.body)
            #expect(read.bytes == bytes)
            #expect(read.chunks > 1)
            #expect(read.finished)

            try await storage.delete(path: path)
            #expect(!FileManager.default.fileExists(atPath: path))
            await #expect(throws: BuildStorageError.notFound(path)) { try await storage.open(path: path) }
            try await storage.delete(path: path)  // absent is not an error
        }
    }

    @Test("store replaces an archive already at the key")
    func replaces() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            for content in ["first", "second!"] {
                let upload = directory.appendingPathComponent("upload-\(content)")
                try Data(content.utf8).write(to: upload)
                _ = try await storage.store(file: upload, size: Int64(content.utf8.count), key: "p/b.hot.zip")
            }
            let archive = try await storage.open(path: storage.root.path + "/p/b.hot.zip")
            #expect(try await CollectingBodyWriter.collect(archive.body).bytes == Array("second!".utf8))
        }
    }

    @Test("an empty archive opens as an empty body")
    func empty() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            let upload = directory.appendingPathComponent("empty")
            try Data().write(to: upload)
            let path = try await storage.store(file: upload, size: 0, key: "p/empty.hot.zip")
            let archive = try await storage.open(path: path)
            #expect(archive.size == 0)
            let read = try await CollectingBodyWriter.collect(archive.body)
            #expect(read.bytes.isEmpty)
            #expect(read.finished)
        }
    }

    /// /dev/shm is a tmpfs on Linux: a rename from it into the temp dir fails with EXDEV, unless the
    /// temp dir is on that same filesystem (then nothing here crosses one).
    static let shm = "/dev/shm"
    static var otherFilesystemWritable: Bool {
        var shmInfo = stat(), temporaryInfo = stat()
        return FileManager.default.isWritableFile(atPath: shm)
            && stat(shm, &shmInfo) == 0 && stat(FileManager.default.temporaryDirectory.path, &temporaryInfo) == 0
            && shmInfo.st_dev != temporaryInfo.st_dev
    }

    @Test("a file from another filesystem is copied in and the original removed",
          .enabled(if: otherFilesystemWritable, "needs a writable /dev/shm on another filesystem than the temp dir"))
    func acrossFilesystems() async throws {
        let shm = Self.shm
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            let bytes = Self.randomBytes(200_000)
            let upload = URL(fileURLWithPath: shm).appendingPathComponent("hot-upload-\(UUID().uuidString)")
            try Data(bytes).write(to: upload)
            defer { try? FileManager.default.removeItem(at: upload) }
            let path = try await storage.store(file: upload, size: Int64(bytes.count), key: "p/x.hot.zip")
            #expect(!FileManager.default.fileExists(atPath: upload.path))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: storage.root.path + "/p")
            #expect(leftovers == ["x.hot.zip"])
        }
    }

    @Test("paths and keys outside the root are refused")
    func outsideRoot() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            let outside = directory.appendingPathComponent("secret")
            try Data("secret".utf8).write(to: outside)
            for path in [outside.path, storage.root.path + "/../secret", "/etc/passwd", "../secret", storage.root.path] {
                await #expect(throws: BuildStorageError.self) { try await storage.open(path: path) }
                await #expect(throws: BuildStorageError.self) { try await storage.delete(path: path) }
            }
            #expect(FileManager.default.fileExists(atPath: outside.path))

            let upload = directory.appendingPathComponent("upload")
            try Data("x".utf8).write(to: upload)
            for key in ["../escape.hot.zip", "/abs.hot.zip", "a/../../escape.hot.zip", ""] {
                await #expect(throws: BuildStorageError.self) { try await storage.store(file: upload, size: 1, key: key) }
            }
            #expect(FileManager.default.fileExists(atPath: upload.path))

            // A symlinked directory inside the root that points out of it.
            try FileManager.default.createDirectory(at: storage.root, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: storage.root.path + "/link",
                withDestinationPath: directory.path
            )
            await #expect(throws: BuildStorageError.self) { try await storage.open(path: storage.root.path + "/link/secret") }
        }
    }

    @Test("opening an absent archive throws notFound")
    func absent() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            let path = storage.root.path + "/nope/none.hot.zip"
            await #expect(throws: BuildStorageError.notFound(path)) { try await storage.open(path: path) }
        }
    }

    @Test("multipart: parts stored out of order and one replaced are joined in number order, then removed; abort removes them")
    func multipart() async throws {
        try await Self.withTemporaryDirectory { directory in
            let storage = FileBuildStorage(root: directory.appendingPathComponent("builds"), logger: Self.logger)
            func file(_ bytes: [UInt8]) throws -> URL {
                let url = directory.appendingPathComponent(UUID().uuidString)
                try Data(bytes).write(to: url)
                return url
            }
            let first = Self.randomBytes(200_000)
            let last = Self.randomBytes(77)
            let id = try await storage.startMultipart(key: "files/env/a", contentType: nil)
            let stale = try await storage.storePart(file: try file([1, 2, 3]), size: 3, uploadId: id, key: "files/env/a", number: 2)
            let second = try await storage.storePart(file: try file(last), size: 77, uploadId: id, key: "files/env/a", number: 2)
            let firstTag = try await storage.storePart(file: try file(first), size: 200_000, uploadId: id, key: "files/env/a", number: 1)
            // Each attempt keeps its own bytes: the tag says which.
            #expect(stale != second)
            await #expect(throws: BuildStorageError.self) {
                try await storage.completeMultipart(uploadId: id, key: "files/env/a", parts: [(1, "../../escape")])
            }
            let path = try await storage.completeMultipart(uploadId: id, key: "files/env/a", parts: [(1, firstTag), (2, second)])
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(first + last))
            let parts = storage.root.appendingPathComponent(".multipart/\(id)").path
            #expect(!FileManager.default.fileExists(atPath: parts))

            let dropped = try await storage.startMultipart(key: "files/env/b", contentType: nil)
            _ = try await storage.storePart(file: try file(last), size: 77, uploadId: dropped, key: "files/env/b", number: 1)
            try await storage.abortMultipart(uploadId: dropped, key: "files/env/b")
            #expect(!FileManager.default.fileExists(atPath: storage.root.appendingPathComponent(".multipart/\(dropped)").path))
            // An id that is no upload of this storage never reaches the file system.
            await #expect(throws: BuildStorageError.self) { try await storage.abortMultipart(uploadId: "../../etc", key: "files/env/b") }
        }
    }
}

import Crypto
import Foundation
import HotRuntime
import Logging
import _NIOFileSystem

/// A request body written to a spool file as it arrived, with its size and MD5.
struct SpooledBody: Sendable {
    var url: URL
    var size: Int64
    /// Hex MD5 of the bytes (a file's etag, as S3 gives it for a single PUT).
    var md5: String
}

/// Streams raw request bodies (the files API) to disk: memory holds one buffer, whatever the size.
enum BodySpool {
    /// Writes `body` to a new file under `directory`. Past `limit` bytes it stops reading, removes
    /// what it wrote and throws `tooLarge(limit)`; any other failure removes the file too.
    static func write(_ body: RawBody, to directory: URL, limit: Int64, tooLarge: (Int64) -> APIError,
                      logger: Logger) async throws -> SpooledBody {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("file-\(UUID().uuidString.lowercased()).part")
        var hasher = Insecure.MD5()
        var size: Int64 = 0
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(url.path), options: .newFile(replaceExisting: false)) { handle in
                var writer = handle.bufferedWriter()
                for try await chunk in body.stream {
                    size += Int64(chunk.readableBytes)
                    guard size <= limit else { throw tooLarge(limit) }
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    try await writer.write(contentsOf: chunk)
                }
                try await writer.flush()
            }
        } catch {
            remove(url, logger: logger)
            throw error
        }
        let digest = Array(hasher.finalize())
        return SpooledBody(url: url, size: size, md5: HexString.lowercase(digest))
    }

    /// Removes a spool file; one that cannot be removed is logged (the process start sweeps the spool).
    static func remove(_ url: URL, logger: Logger) {
        do {
            try FileManager.default.removeItem(at: url)
        } catch CocoaError.fileNoSuchFile {
        } catch {
            logger.warning("could not remove a spooled upload", metadata: ["path": "\(url.path)", "error": "\(error)"])
        }
    }
}

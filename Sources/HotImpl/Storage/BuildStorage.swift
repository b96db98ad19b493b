import Foundation
import Hummingbird

/// Where build archives live. `file` (a directory) or `s3` (a bucket and prefix).
public protocol BuildStorage: Sendable {
    /// "file" or "s3": reported as a build's `storage_backend`.
    var backend: String { get }
    /// Stores the finished upload at `file` (a temp file the storage may move or must leave in place) as `key`
    /// (e.g. "<project_id>/<build_id>.hot.zip"); returns the `storage_path` reported for the build.
    func store(file: URL, size: Int64, key: String) async throws -> String
    /// Opens a stored archive for streaming (never loaded whole). Throws `BuildStorageError.notFound` when absent.
    func open(path: String) async throws -> StoredArchive
    /// Removes a stored archive; absent is not an error.
    func delete(path: String) async throws
}

public struct StoredArchive: Sendable {
    public var size: Int64
    public var body: ResponseBody
    public init(size: Int64, body: ResponseBody) { self.size = size; self.body = body }
}

public enum BuildStorageError: Error, Equatable {
    case notFound(String)
    case failed(String)
}

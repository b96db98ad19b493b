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

    // Multipart uploads (the files API): parts stored one by one, in any order, then joined as `key`.

    /// Starts an upload that will be stored as `key`; gives the storage's id for it.
    func startMultipart(key: String, contentType: String?) async throws -> String
    /// Stores `file` (which the storage may move or must leave in place) as part `number` of the
    /// upload, replacing a part of that number; gives what `completeMultipart` needs of it (S3's ETag).
    func storePart(file: URL, size: Int64, uploadId: String, key: String, number: Int) async throws -> String
    /// Joins the parts, in the order given, as `key`; gives the `storage_path` of the result.
    func completeMultipart(uploadId: String, key: String, parts: [(number: Int, tag: String)]) async throws -> String
    /// Drops an upload and its parts; an upload already gone is not an error.
    func abortMultipart(uploadId: String, key: String) async throws
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

import Foundation
import Hummingbird
import Logging
import _NIOFileSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Build archives as files under a root directory (`$HOT_DATA_DIR/builds`); `storage_path` is the file's
/// absolute path. Reads and copies run on NIOFileSystem's thread pool; mkdir and rename(2) are direct calls.
public struct FileBuildStorage: BuildStorage {
    public let backend = "file"
    /// The root, absolute and with symlinks resolved.
    public let root: URL
    /// `root.path`, the prefix every stored path must have.
    let rootPath: String
    let logger: Logger
    /// Size of the reads when streaming an archive out.
    static let chunkLength: Int64 = 64 * 1024

    /// - Parameter root: the directory to keep archives under; created (with any missing parents) on first store.
    public init(root: URL, logger: Logger = Logger(label: "hot.storage.file")) {
        let resolved = URL(fileURLWithPath: root.standardizedFileURL.path).resolvingSymlinksInPath()
        self.root = resolved
        self.rootPath = resolved.path
        self.logger = logger
    }

    /// Moves `file` to `<root>/<key>` (rename, else copy to a temporary sibling, rename into place and remove
    /// the original), replacing any archive already there.
    public func store(file: URL, size: Int64, key: String) async throws -> String {
        let destination = try resolve(key: key)
        let directory = (destination as NSString).deletingLastPathComponent
        logger.debug("file store", metadata: ["storage.path": "\(destination)", "storage.size": "\(size)"])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if rename(file.path, destination) == 0 { return destination }
            let renameErrno = errno
            guard renameErrno == EXDEV else {
                throw BuildStorageError.failed("cannot move \(file.path) to \(destination): \(String(cString: strerror(renameErrno)))")
            }
            try await Self.copyIntoPlace(from: file.path, to: destination, logger: logger)
            try await FileSystem.shared.removeItem(at: FilePath(file.path), strategy: .platformDefault, recursively: false)
            return destination
        } catch let error as BuildStorageError {
            throw error
        } catch {
            throw BuildStorageError.failed("cannot store \(file.path) as \(destination): \(error)")
        }
    }

    /// Streams the file in 64 KiB chunks; the file is opened only when the body is written.
    public func open(path: String) async throws -> StoredArchive {
        // A path this storage cannot hold (another data directory, say) holds no archive here: the
        // error's reason is that, and notFound says so.
        guard let resolved = try? resolve(path: path) else { throw BuildStorageError.notFound(path) }
        let info: FileInfo?
        do {
            info = try await FileSystem.shared.info(forFileAt: FilePath(resolved), infoAboutSymbolicLink: false)
        } catch {
            throw BuildStorageError.failed("cannot read \(resolved): \(error)")
        }
        guard let info, info.type == .regular else { throw BuildStorageError.notFound(path) }
        let size = info.size
        return StoredArchive(
            size: size,
            body: ResponseBody(contentLength: Int(size)) { writer in
                try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(resolved)) { handle in
                    for try await chunk in handle.readChunks(in: 0..<size, chunkLength: .bytes(Self.chunkLength)) {
                        try await writer.write(chunk)
                    }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Removes the file; a missing one is not an error.
    public func delete(path: String) async throws {
        let resolved = try resolve(path: path)
        logger.debug("file delete", metadata: ["storage.path": "\(resolved)"])
        do {
            try await FileSystem.shared.removeItem(at: FilePath(resolved), strategy: .platformDefault, recursively: false)
        } catch {
            throw BuildStorageError.failed("cannot delete \(resolved): \(error)")
        }
    }

    // MARK: Multipart

    /// Parts wait under `<root>/.multipart/<upload id>/<number>-<uuid>` until they are joined.
    static let multipartDirectory = ".multipart"

    public func startMultipart(key: String, contentType: String?) async throws -> String {
        _ = try resolve(key: key)
        let id = UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: try partsDirectory(id), withIntermediateDirectories: true)
        } catch let error as BuildStorageError {
            throw error
        } catch {
            throw BuildStorageError.failed("cannot start a multipart upload: \(error)")
        }
        return id
    }

    /// Each attempt gets a file of its own (`<number>-<uuid>`, the tag), so two sending the same
    /// number at once never mix: the tag recorded last names bytes that are whole and its own.
    public func storePart(file: URL, size: Int64, uploadId: String, key: String, number: Int) async throws -> String {
        _ = try partsDirectory(uploadId)
        let tag = "\(number)-\(UUID().uuidString.lowercased())"
        _ = try await store(file: file, size: size, key: "\(Self.multipartDirectory)/\(uploadId)/\(tag)")
        return tag
    }

    /// Copies the parts one after another into a hidden sibling of the destination (never held in
    /// memory), renames it into place, then removes the parts.
    public func completeMultipart(uploadId: String, key: String, parts: [(number: Int, tag: String)]) async throws -> String {
        let directory = try partsDirectory(uploadId)
        let destination = try resolve(key: key)
        let folder = (destination as NSString).deletingLastPathComponent
        let temporary = folder + "/.\((destination as NSString).lastPathComponent).\(UUID().uuidString).partial"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(temporary), options: .newFile(replaceExisting: false)) { output in
                var writer = output.bufferedWriter()
                for part in parts {
                    guard !part.tag.isEmpty, !part.tag.contains("/"), !part.tag.hasPrefix(".") else {
                        throw BuildStorageError.failed("'\(part.tag)' is no part of upload \(uploadId)")
                    }
                    try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(directory + "/" + part.tag)) { input in
                        for try await chunk in input.readChunks(in: 0..., chunkLength: .bytes(Self.chunkLength)) {
                            try await writer.write(contentsOf: chunk)
                        }
                    }
                }
                try await writer.flush()
            }
            guard rename(temporary, destination) == 0 else {
                let code = errno
                throw BuildStorageError.failed("cannot move \(temporary) to \(destination): \(String(cString: strerror(code)))")
            }
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(temporary), strategy: .platformDefault, recursively: false)
            if let error = error as? BuildStorageError { throw error }
            throw BuildStorageError.failed("cannot join the parts of upload \(uploadId): \(error)")
        }
        try await abortMultipart(uploadId: uploadId, key: key)
        return destination
    }

    public func abortMultipart(uploadId: String, key: String) async throws {
        let directory = try partsDirectory(uploadId)
        do {
            try await FileSystem.shared.removeItem(at: FilePath(directory), strategy: .platformDefault, recursively: true)
        } catch {
            throw BuildStorageError.failed("cannot remove the parts of upload \(uploadId): \(error)")
        }
    }

    /// The directory of an upload's parts; the id must be one `startMultipart` made (a UUID).
    func partsDirectory(_ uploadId: String) throws -> String {
        guard UUID(uuidString: uploadId) != nil else { throw BuildStorageError.failed("'\(uploadId)' is no upload id of this storage") }
        return try resolve(key: "\(Self.multipartDirectory)/\(uploadId)")
    }

    // MARK: Paths

    /// `<root>/<key>`, refusing keys that would leave the root.
    func resolve(key: String) throws -> String {
        guard !key.isEmpty, !key.hasPrefix("/") else {
            throw BuildStorageError.failed("build storage key '\(key)' must be a relative path")
        }
        return try resolve(path: rootPath + "/" + key)
    }

    /// An absolute storage path (or one relative to the root), normalised, which must lie inside the root.
    func resolve(path: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : rootPath + "/" + path
        let normalised = URL(fileURLWithPath: absolute).standardizedFileURL.path
        guard normalised.hasPrefix(rootPath + "/"), normalised.count > rootPath.count + 1 else {
            throw BuildStorageError.failed("storage path '\(path)' is outside \(rootPath)")
        }
        // A symlinked directory inside the root must not lead out of it either.
        let parent = URL(fileURLWithPath: (normalised as NSString).deletingLastPathComponent)
            .resolvingSymlinksInPath().path
        guard parent == rootPath || parent.hasPrefix(rootPath + "/") else {
            throw BuildStorageError.failed("storage path '\(path)' is outside \(rootPath)")
        }
        return normalised
    }

    /// Copies to a hidden temporary sibling, then renames it over `destination`, so a reader never sees
    /// a half-copied archive.
    static func copyIntoPlace(from source: String, to destination: String, logger: Logger) async throws {
        let directory = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let temporary = directory + "/.\(name).\(UUID().uuidString).partial"
        do {
            try await FileSystem.shared.copyItem(at: FilePath(source), to: FilePath(temporary))
            guard rename(temporary, destination) == 0 else {
                let code = errno
                throw BuildStorageError.failed("cannot move \(temporary) to \(destination): \(String(cString: strerror(code)))")
            }
        } catch {
            // A temporary file that does not exist (the copy never began) is no error here.
            do {
                try await FileSystem.shared.removeItem(at: FilePath(temporary), strategy: .platformDefault, recursively: false)
            } catch let removeError {
                logger.warning("could not remove a partial copy of a build archive; it is left behind", metadata: [
                    "path": "\(temporary)", "error": "\(removeError)",
                ])
            }
            throw error
        }
    }
}

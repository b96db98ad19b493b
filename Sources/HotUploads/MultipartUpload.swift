// Build uploads: a multipart/form-data body parsed as it arrives (MultipartKit), its file parts
// spooled to disk with their SHA-256. A module of its own (HotUploads) so that HotRuntime, which all
// generated code builds on, does not carry MultipartKit and swift-crypto; the generated routes of
// multipart operations and HotImpl's upload policy use it.

import Crypto
import Foundation
import HotRuntime
import Hummingbird
import Logging
import MultipartKit
import NIOCore

/// A `multipart/form-data` body read as it arrives: text fields are kept (they are small and
/// capped), file parts go straight to a spool file while their SHA-256 is computed on the way,
/// so memory stays flat whatever the size of the upload.
public struct MultipartUpload: Sendable {
    public private(set) var fields: [String: String]
    public private(set) var files: [String: UploadedFile]
    /// The request's logger: a spool file that cannot be removed is logged with its id.
    let logger: Logger

    /// Reads the whole body. Only the declared fields are accepted, each at most once; a file part
    /// over `policy.maxFileBytes` is a 413. On any failure nothing is left in the spool directory
    /// (or what could not be removed is logged to `logger`).
    public static func read(
        _ request: Request, policy: UploadPolicy, fileFields: Set<String>, textFields: Set<String>, logger: Logger
    ) async throws -> MultipartUpload {
        guard request.headers[.contentType] != nil else {
            throw APIError(status: .unsupportedMediaType, code: "bad_request", message: "Missing Content-Type: send multipart/form-data")
        }
        try RequestInput.requireContentType(request, "multipart/form-data")
        guard let contentType = request.headers[.contentType],
              let boundary = Self.boundary(of: contentType), !boundary.isEmpty, boundary.utf8.count <= 200
        else {
            throw APIError.badRequest("Expected a multipart/form-data body with a boundary")
        }
        let reader = PartReader(policy: policy, fileFields: fileFields, textFields: textFields, logger: logger)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in reader.header(name, value) }
        parser.onBody = { chunk in reader.body(&chunk) }
        parser.onPartComplete = { reader.complete() }
        do {
            var received: Int64 = 0
            for try await chunk in request.body {
                received += Int64(chunk.readableBytes)
                // Room for the text fields and part headers beside the file.
                guard received <= policy.maxFileBytes + policy.maxOverheadBytes else {
                    throw RequestInput.tooLarge(policy.maxFileBytes)
                }
                // Outside part bodies (headers, preamble) the parser buffers what it reads: bound it.
                if reader.isBetweenBodies {
                    reader.bytesBetweenBodies += chunk.readableBytes
                    guard reader.bytesBetweenBodies <= 1024 * 1024 else {
                        throw APIError.badRequest("Malformed multipart body: over 1 MiB of part headers")
                    }
                }
                do {
                    try parser.execute(chunk)
                } catch let error as APIError {
                    throw error
                } catch {
                    throw APIError.badRequest("Malformed multipart body")
                }
                try reader.flush()
            }
            try reader.finish()
            return MultipartUpload(fields: reader.fields, files: reader.files, logger: logger)
        } catch {
            reader.discardAll()
            throw error
        }
    }

    public func string(_ name: String, rule: StringRule = StringRule()) throws -> String? {
        guard let text = fields[name] else { return nil }
        if let problem = SchemaValidator.problem(with: text, rule) {
            throw APIError.badRequest("Invalid form field '\(name)': \(problem)")
        }
        return text
    }

    public func uuid(_ name: String) throws -> UUID? {
        guard let text = try string(name) else { return nil }
        guard let uuid = UUID(uuidString: text) else {
            throw APIError.badRequest("Invalid form field '\(name)': must be a UUID")
        }
        return uuid
    }

    public func file(_ name: String) -> UploadedFile? {
        files[name]
    }

    /// Removes the spool files that are still there (a handler that keeps a file moves it away first).
    public func discard() {
        for file in files.values { Self.removeSpoolFile(file.url, logger: logger) }
    }

    /// Removes a spool file. One already gone (a handler moved it away) is what was wanted; one
    /// that stays is logged, as nothing else removes it before a process starts and sweeps the
    /// spool files an hour old.
    static func removeSpoolFile(_ url: URL, logger: Logger) {
        do {
            try FileManager.default.removeItem(at: url)
        } catch where !FileManager.default.fileExists(atPath: url.path) {
            return
        } catch {
            logger.warning("could not remove an upload's spool file", metadata: [
                "path": .string(url.path), "error": .string(String(reflecting: error)),
            ])
        }
    }

    /// The `boundary` parameter of a multipart Content-Type, unquoted.
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}

/// Where and how much a multipart upload may spool.
public struct UploadPolicy: Sendable {
    /// The spool directory (created when missing); the storage moves finished files from here.
    public var directory: URL
    /// The largest file part accepted (`HOT_MAX_BUILD_BYTES`).
    public var maxFileBytes: Int64
    /// The largest text field.
    public var maxFieldBytes: Int
    /// Room allowed in the whole body beyond the file: text fields, part headers, boundaries.
    public var maxOverheadBytes: Int64 { 1024 * 1024 }

    public init(directory: URL, maxFileBytes: Int64, maxFieldBytes: Int = 64 * 1024) {
        self.directory = directory
        self.maxFileBytes = maxFileBytes
        self.maxFieldBytes = maxFieldBytes
    }
}

/// A file part of a multipart request, spooled to disk as it arrived.
public struct UploadedFile: Sendable {
    /// The spool file; the handler may move it (into storage), else it is removed after the request.
    public var url: URL
    public var size: Int64
    /// SHA-256 of the bytes received, lowercase hex.
    public var sha256: String
    public var filename: String?
    public var contentType: String?

    public init(url: URL, size: Int64, sha256: String, filename: String?, contentType: String?) {
        self.url = url
        self.size = size
        self.sha256 = sha256
        self.filename = filename
        self.contentType = contentType
    }
}

/// The parser's callbacks: collects text fields, writes file parts to spool files. Lives only
/// inside one `MultipartUpload.read` call, on one task.
private final class PartReader {
    let policy: UploadPolicy
    let fileFields: Set<String>
    let textFields: Set<String>
    let logger: Logger

    var fields: [String: String] = [:]
    var files: [String: UploadedFile] = [:]

    private var headers: [(String, String)] = []
    private var inPart = false
    private var current: Part?
    private var failure: APIError?

    private enum Part {
        case text(name: String, bytes: ByteBuffer)
        case file(name: String, spool: Spool)
    }

    /// An open spool file: bytes waiting to be written, the running digest and size.
    private final class Spool {
        let url: URL
        let handle: FileHandle
        let filename: String?
        let contentType: String?
        var pending = ByteBuffer()
        var hasher = SHA256()
        var size: Int64 = 0

        init(directory: URL, filename: String?, contentType: String?, logger: Logger) throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            url = directory.appendingPathComponent("upload-\(UUID().uuidString.lowercased()).part")
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw APIError.internalError()
            }
            do {
                handle = try FileHandle(forWritingTo: url)
            } catch {
                MultipartUpload.removeSpoolFile(url, logger: logger)
                throw error
            }
            self.filename = filename
            self.contentType = contentType
        }

        func flush() throws {
            guard pending.readableBytes > 0 else { return }
            try pending.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
            pending.clear()
        }
    }

    init(policy: UploadPolicy, fileFields: Set<String>, textFields: Set<String>, logger: Logger) {
        self.policy = policy
        self.fileFields = fileFields
        self.textFields = textFields
        self.logger = logger
    }

    func header(_ name: String, _ value: String) {
        inPart = true
        headerBytes += name.utf8.count + value.utf8.count
        guard headers.count < Self.maxHeaders, headerBytes <= Self.maxHeaderBytes else {
            failure = failure ?? .badRequest("A multipart part has more headers than allowed (\(Self.maxHeaders), \(Self.maxHeaderBytes) bytes)")
            return
        }
        headers.append((name, value))
    }

    /// No part body is being read: what arrives now is headers, boundaries or preamble.
    var isBetweenBodies: Bool { current == nil }
    var bytesBetweenBodies = 0

    static let maxHeaders = 16
    static let maxHeaderBytes = 16 * 1024
    private var headerBytes = 0

    func body(_ chunk: inout ByteBuffer) {
        inPart = true
        guard failure == nil else { return }
        if current == nil { begin() }
        switch current {
        case .text(let name, var bytes)?:
            guard bytes.readableBytes + chunk.readableBytes <= policy.maxFieldBytes else {
                failure = .badRequest("Form field '\(name)' is longer than \(policy.maxFieldBytes) bytes")
                return
            }
            bytes.writeBuffer(&chunk)
            current = .text(name: name, bytes: bytes)
        case .file(_, let spool)?:
            spool.size += Int64(chunk.readableBytes)
            guard spool.size <= policy.maxFileBytes else {
                failure = RequestInput.tooLarge(policy.maxFileBytes)
                return
            }
            chunk.withUnsafeReadableBytes { spool.hasher.update(bufferPointer: $0) }
            spool.pending.writeBuffer(&chunk)
        case nil:
            break
        }
    }

    func complete() {
        guard failure == nil else { return }
        if current == nil { begin() }
        switch current {
        case .text(let name, let bytes)?:
            guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
                failure = .badRequest("Form field '\(name)' is not UTF-8 text")
                break
            }
            fields[name] = text
        case .file(let name, let spool)?:
            do {
                try spool.flush()
                try spool.handle.close()
            } catch {
                // e.g. a full disk: the partial spool file goes now. Closing again may fail too
                // (it may be closed already); the file is removed either way.
                try? spool.handle.close()
                MultipartUpload.removeSpoolFile(spool.url, logger: logger)
                failure = .internalError()
                break
            }
            let digest = spool.hasher.finalize()
            files[name] = UploadedFile(
                url: spool.url, size: spool.size, sha256: HexString.lowercase(digest),
                filename: spool.filename, contentType: spool.contentType)
        case nil:
            break
        }
        current = nil
        headers = []
        headerBytes = 0
        inPart = false
    }

    /// The part's headers are complete once its first body byte (or its end) arrives.
    private func begin() {
        bytesBetweenBodies = 0
        let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
        let parameters = Self.parameters(of: disposition)
        guard disposition.lowercased().hasPrefix("form-data"), let name = parameters["name"] else {
            failure = .badRequest("Every multipart part needs Content-Disposition: form-data with a name")
            return
        }
        guard fields[name] == nil, files[name] == nil else {
            failure = .badRequest("Form field '\(name)' appears more than once")
            return
        }
        if fileFields.contains(name) {
            do {
                let contentType = headers.first { $0.0.lowercased() == "content-type" }?.1
                current = .file(name: name, spool: try Spool(
                    directory: policy.directory, filename: parameters["filename"], contentType: contentType, logger: logger))
            } catch {
                failure = .internalError()
            }
        } else if textFields.contains(name) {
            current = .text(name: name, bytes: ByteBuffer())
        } else {
            failure = .badRequest("Unknown form field '\(name)'")
        }
    }

    /// Writes what the last chunk produced; throws what the callbacks could not.
    func flush() throws {
        if let failure { throw failure }
        if case .file(_, let spool)? = current { try spool.flush() }
    }

    func finish() throws {
        try flush()
        guard !inPart, current == nil else { throw APIError.badRequest("Malformed multipart body: it ends inside a part") }
    }

    func discardAll() {
        if case .file(_, let spool)? = current {
            // Only so the descriptor is not held: the file is removed whatever the close says.
            try? spool.handle.close()
            MultipartUpload.removeSpoolFile(spool.url, logger: logger)
        }
        for file in files.values { MultipartUpload.removeSpoolFile(file.url, logger: logger) }
    }

    /// `form-data; name="file"; filename="build.zip"` → ["name": "file", "filename": "build.zip"].
    static func parameters(of disposition: String) -> [String: String] {
        var result: [String: String] = [:]
        for piece in disposition.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            var value = pair[1]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            result[pair[0].lowercased()] = value
        }
        return result
    }
}

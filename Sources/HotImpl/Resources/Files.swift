import Crypto
import Foundation
import Generated
import HotRuntime

/// The files API (docs/files.md): files of an env, stored through the build storage, uploaded
/// whole (streamed) or in parts. As the reference server has it, only API keys use it; a
/// credential's `file:<path>` grants decide which paths it may read, write and delete.
extension HotService {
    public func listFiles(_ input: ListFiles.Input, context: HotRequestContext) async throws -> ListFiles.Output {
        let credential = try fileCredential(context)
        let paths = PermissionSet(credential.permissions).paths(for: "read", ofType: "file")
        return .ok(try await files.list(envId: credential.envId, containing: input.prefix, paths: paths,
                                        page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func getFile(_ input: GetFile.Input, context: HotRequestContext) async throws -> GetFile.Output {
        .ok(try await visibleFile(input.fileId, try fileCredential(context)).record)
    }

    public func downloadFile(_ input: DownloadFile.Input, context: HotRequestContext) async throws -> DownloadFile.Output {
        let file = try await visibleFile(input.fileId, try fileCredential(context))
        guard file.record.storageBackend == storage.backend else {
            throw APIError.notFound("File content not found in the configured \(storage.backend) storage")
        }
        let content: StoredArchive
        do {
            content = try await storage.open(path: file.storagePath)
        } catch BuildStorageError.notFound {
            throw APIError.notFound("File content not found")
        }
        let name = file.record.path.split(separator: "/").last.map(String.init) ?? file.record.path
        return .ok(BinaryBody(contentType: file.record.contentType ?? "application/octet-stream", body: content.body),
                   headers: .init(contentDisposition: "attachment; filename=\"\(FileNames.quoted(name))\""))
    }

    public func deleteFile(_ input: DeleteFile.Input, context: HotRequestContext) async throws -> DeleteFile.Output {
        let credential = try fileCredential(context)
        let file = try await visibleFile(input.fileId, credential)
        try requireFileAction("delete", on: file.record.path, credential)
        guard let path = try await files.delete(envId: credential.envId, fileId: input.fileId) else {
            throw APIError.notFound("File not found")
        }
        await removeContent(path, context: context)
        return .noContent
    }

    public func uploadFile(_ input: UploadFile.Input, context: HotRequestContext) async throws -> UploadFile.Output {
        let credential = try fileCredential(context)
        let path = try FileNames.normalised(input.path)
        try await requireWrite(path, credential)
        let maximum = fileMaxBytes(credential)
        if let declared = input.body.declaredLength {
            guard declared <= maximum else { throw Self.payloadTooLarge(declared, maximum) }
            try await checkQuota(adding: declared, credential)
        }
        let spooled = try await BodySpool.write(input.body, to: uploadPolicy.directory, limit: maximum,
                                                tooLarge: { Self.payloadTooLarge(nil, $0) }, logger: context.logger)
        defer { BodySpool.remove(spooled.url, logger: context.logger) }
        try await checkQuota(adding: spooled.size, credential)
        let key = "files/\(credential.envId.lowercased)/\(UUID().lowercased)"
        let storagePath = try await storeContent { try await storage.store(file: spooled.url, size: spooled.size, key: key) }
        let content = FileStore.Content(size: spooled.size, etag: spooled.md5, contentType: FileNames.contentType(of: path),
                                        backend: storage.backend, storagePath: storagePath)
        return .ok(try await record(content, at: path, credential, context: context))
    }

    public func initiateFileUpload(_ input: InitiateFileUpload.Input, context: HotRequestContext) async throws -> InitiateFileUpload.Output {
        let credential = try fileCredential(context)
        let body = input.body
        let path = try FileNames.normalised(body.path)
        try await requireWrite(path, credential)
        let maximum = fileMaxBytes(credential)
        let expected = body.expectedSize.map(Int64.init)
        if let expected {
            guard expected <= maximum else { throw Self.payloadTooLarge(expected, maximum) }
            try await checkQuota(adding: expected, credential)
        }
        let partSize = FileNames.partSize(expectedSize: expected ?? min(maximum, FileNames.defaultUnknownSize))
        let partsExpected = expected.map { Int(($0 + partSize - 1) / partSize) }
        let key = "files/\(credential.envId.lowercased)/\(UUID().lowercased)"
        let contentType = body.contentType ?? FileNames.contentType(of: path)
        let backendId = try await storeContent { try await storage.startMultipart(key: key, contentType: contentType) }
        let upload = FileStore.Upload(
            uploadId: UUID.v7(), path: path, status: "pending", expectedSize: expected, contentType: contentType, partSize: partSize,
            partsExpected: partsExpected, backend: storage.backend, backendUploadId: backendId, storageKey: key,
            expiresAt: clock.now().addingTimeInterval(24 * 3600))
        do {
            try await files.createUpload(envId: credential.envId, upload)
        } catch {
            try? await storage.abortMultipart(uploadId: backendId, key: key)
            throw error
        }
        return .created(FileUpload(uploadId: upload.uploadId, path: path, partSize: Int(partSize), partsExpected: partsExpected,
                                   expiresAt: upload.expiresAt))
    }

    public func uploadFilePart(_ input: UploadFilePart.Input, context: HotRequestContext) async throws -> UploadFilePart.Output {
        let credential = try fileCredential(context)
        let upload = try await pendingUpload(input.uploadId, credential)
        try requireFileAction("create", on: upload.path, credential)
        let number = input.partNumber
        if let expected = upload.partsExpected, number > expected {
            throw APIError.badRequest("Part number \(number) exceeds the expected part count \(expected)")
        }
        if let declared = input.body.declaredLength, declared > upload.partSize {
            throw Self.partTooLarge(upload.partSize)
        }
        let spooled = try await BodySpool.write(input.body, to: uploadPolicy.directory, limit: upload.partSize,
                                                tooLarge: Self.partTooLarge, logger: context.logger)
        defer { BodySpool.remove(spooled.url, logger: context.logger) }
        if let expected = upload.partsExpected, number < expected, spooled.size < FileNames.minimumPartSize {
            throw APIError(status: .badRequest, code: "part_too_small",
                           message: "Non-final part size \(spooled.size) is below the minimum of \(FileNames.minimumPartSize) bytes")
        }
        let maximum = fileMaxBytes(credential)
        let received = try await files.bytesReceived(uploadId: upload.uploadId, excluding: number)
        guard received + spooled.size <= maximum else { throw Self.payloadTooLarge(received + spooled.size, maximum) }
        let tag = try await storeContent {
            try await storage.storePart(file: spooled.url, size: spooled.size, uploadId: upload.backendUploadId, key: upload.storageKey,
                                        number: number)
        }
        let part = FileStore.Part(number: number, size: spooled.size, md5: spooled.md5, storageTag: tag)
        guard try await files.recordPart(uploadId: upload.uploadId, part) else { throw Self.notPending("no longer pending") }
        return .ok(FileUploadPart(partNumber: number, size: Int(spooled.size), etag: spooled.md5))
    }

    public func completeFileUpload(_ input: CompleteFileUpload.Input, context: HotRequestContext) async throws -> CompleteFileUpload.Output {
        let credential = try fileCredential(context)
        let upload = try await pendingUpload(input.uploadId, credential)
        try await requireWrite(upload.path, credential)
        // While its parts are joined no part may change, and no second completion may begin.
        guard try await files.transition(uploadId: upload.uploadId, to: "completing") else { throw Self.notPending("no longer pending") }
        do {
            let parts = try await files.parts(uploadId: upload.uploadId)
            try FileNames.checkComplete(parts, upload: upload)
            let size = parts.reduce(Int64(0)) { $0 + $1.size }
            try await checkQuota(adding: size, credential)
            let storagePath = try await storeContent {
                try await storage.completeMultipart(uploadId: upload.backendUploadId, key: upload.storageKey,
                                                    parts: parts.map { ($0.number, $0.storageTag) })
            }
            let content = FileStore.Content(size: size, etag: FileNames.multipartETag(parts), contentType: upload.contentType,
                                            backend: upload.backend, storagePath: storagePath)
            let (file, replaced) = try await files.finish(envId: credential.envId, upload: upload, content: content)
            if let replaced { await removeContent(replaced, context: context) }
            return .ok(file)
        } catch {
            // Still pending: the client may send what is missing, or abort.
            _ = try? await files.transition(uploadId: upload.uploadId, from: "completing", to: "pending")
            throw error
        }
    }

    public func abortFileUpload(_ input: AbortFileUpload.Input, context: HotRequestContext) async throws -> AbortFileUpload.Output {
        let credential = try fileCredential(context)
        guard let upload = try await files.findUpload(envId: credential.envId, uploadId: input.uploadId) else {
            throw APIError.notFound("Upload not found")
        }
        try requireFileAction("create", on: upload.path, credential)
        guard try await files.transition(uploadId: upload.uploadId, to: "aborted") else {
            throw Self.notPending("in '\(upload.status)' status, not 'pending'")
        }
        do {
            try await storage.abortMultipart(uploadId: upload.backendUploadId, key: upload.storageKey)
        } catch {
            context.logger.warning("the parts of an aborted upload could not be removed; they are left behind", metadata: [
                "upload_id": "\(upload.uploadId.lowercased)", "error": "\(error)",
            ])
        }
        return .noContent
    }

    // MARK: Helpers

    /// Only API keys use the files API, as on the reference server.
    func fileCredential(_ context: HotRequestContext) throws -> Credential {
        let credential = try context.requireCredential()
        guard credential.kind == .apiKey else { throw APIError.forbidden("Only API keys can use files") }
        return credential
    }

    /// A file of the credential's env whose path it may read; any other is a 404, as if absent.
    func visibleFile(_ fileId: UUID, _ credential: Credential) async throws -> FileStore.Stored {
        guard let file = try await files.find(envId: credential.envId, fileId: fileId),
              PermissionSet(credential.permissions).allows("read", on: "file:" + file.record.path)
        else {
            throw APIError.notFound("File not found")
        }
        return file
    }

    func requireFileAction(_ action: String, on path: String, _ credential: Credential) throws {
        guard PermissionSet(credential.permissions).allows(action, on: "file:" + path) else {
            throw APIError.forbidden("Credential lacks '\(action)' on file:\(path)")
        }
    }

    /// Writing a path needs `create`; replacing the file there, `update` as well.
    func requireWrite(_ path: String, _ credential: Credential) async throws {
        try requireFileAction("create", on: path, credential)
        let permissions = PermissionSet(credential.permissions)
        if !permissions.allows("update", on: "file:" + path), try await files.exists(envId: credential.envId, path: path) {
            throw APIError.forbidden("Credential lacks 'update' on file:\(path)")
        }
    }

    /// The largest file: the plan's, under HOT_FILE_MAX_BYTES when set.
    func fileMaxBytes(_ credential: Credential) -> Int64 {
        let plan = PlanLimits.of(plan: credential.plan).fileUploadMaxBytes
        return fileMaxBytesCeiling.map { min($0, plan) } ?? plan
    }

    /// 413 `storage_quota_exceeded` when `bytes` more would take the org past its plan's storage.
    func checkQuota(adding bytes: Int64, _ credential: Credential) async throws {
        let limit = Int64(PlanLimits.of(plan: credential.plan).storageBytes)
        guard limit >= 0 else { return }
        let used = try await files.storageUsed(orgId: credential.orgId)
        guard used + bytes <= limit else {
            throw APIError(status: .contentTooLarge, code: "storage_quota_exceeded",
                           message: "Storage quota exceeded: current usage \(used) + file \(bytes) > limit \(limit)")
        }
    }

    /// A pending, unexpired upload of the credential's env.
    func pendingUpload(_ uploadId: UUID, _ credential: Credential) async throws -> FileStore.Upload {
        guard let upload = try await files.findUpload(envId: credential.envId, uploadId: uploadId) else {
            throw APIError.notFound("Upload not found")
        }
        guard upload.status == "pending" else { throw Self.notPending("in '\(upload.status)' status, not 'pending'") }
        guard upload.expiresAt > clock.now() else { throw Self.notPending("expired") }
        return upload
    }

    /// Records stored content as the file at `path`, removing what it replaced; content whose
    /// record cannot be written is removed again.
    func record(_ content: FileStore.Content, at path: String, _ credential: Credential, context: HotRequestContext) async throws -> FileRecord {
        let file: FileRecord
        let replaced: String?
        do {
            (file, replaced) = try await files.put(envId: credential.envId, path: path, content: content)
        } catch {
            await removeContent(content.storagePath, context: context)
            throw error
        }
        if let replaced { await removeContent(replaced, context: context) }
        return file
    }

    /// A storage failure is the server's (500), logged with its reason; the client sees no path.
    func storeContent<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BuildStorageError {
            database.logger.error("file storage failed", metadata: ["error": "\(error)"])
            throw APIError.internalError()
        }
    }

    /// Content no record points at any more; one that cannot be removed is logged, never an error.
    func removeContent(_ storagePath: String, context: HotRequestContext) async {
        do {
            try await storage.delete(path: storagePath)
        } catch {
            context.logger.warning("replaced or deleted file content could not be removed; it is left behind", metadata: [
                "storage_path": "\(storagePath)", "error": "\(error)",
            ])
        }
    }

    static func payloadTooLarge(_ size: Int64?, _ maximum: Int64) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large",
                 message: size.map { "File size \($0) bytes exceeds maximum allowed \(maximum) bytes" }
                    ?? "File exceeds maximum allowed \(maximum) bytes")
    }

    static func partTooLarge(_ partSize: Int64) -> APIError {
        APIError(status: .contentTooLarge, code: "part_too_large", message: "Part exceeds negotiated size of \(partSize) bytes")
    }

    static func notPending(_ why: String) -> APIError {
        APIError(status: .conflict, code: "upload_not_pending", message: "Upload is \(why)")
    }
}

/// File paths, content types and multipart arithmetic, as the reference server has them.
enum FileNames {
    /// A path as stored: `hot://` and leading slashes dropped, `.` and empty segments removed, `..`
    /// resolved. Leaving the root, or nothing left, is a 400.
    static func normalised(_ raw: String) throws -> String {
        var text = Substring(raw)
        if text.hasPrefix("hot://") { text = text.dropFirst(6) }
        var segments: [Substring] = []
        for segment in text.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { throw APIError.badRequest("Invalid path: it escapes the storage root") }
                segments.removeLast()
            default: segments.append(segment)
            }
        }
        guard !segments.isEmpty else { throw APIError.badRequest("Invalid path: empty after normalization") }
        guard !raw.contains("\u{0}") else { throw APIError.badRequest("Invalid path: contains a NUL character") }
        return segments.joined(separator: "/")
    }

    /// By extension, the reference server's table; application/octet-stream for any other.
    static func contentType(of path: String) -> String? {
        let name = path.split(separator: "/").last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "txt": return "text/plain"
        case "html", "htm": return "text/html"
        case "css": return "text/css"
        case "js": return "application/javascript"
        case "json": return "application/json"
        case "xml": return "application/xml"
        case "pdf": return "application/pdf"
        case "zip": return "application/zip"
        case "tar": return "application/x-tar"
        case "gz": return "application/gzip"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "svg": return "image/svg+xml"
        case "webp": return "image/webp"
        case "mp3": return "audio/mpeg"
        case "wav": return "audio/wav"
        case "mp4": return "video/mp4"
        case "webm": return "video/webm"
        case "csv": return "text/csv"
        case "md": return "text/markdown"
        case "hot": return "text/x-hot"
        default: return "application/octet-stream"
        }
    }

    /// A file name inside a quoted Content-Disposition parameter.
    static func quoted(_ name: String) -> String {
        String(name.unicodeScalars.map { $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value > 0x7e ? "_" : Character($0) })
    }

    static let defaultPartSize: Int64 = 64 * 1024 * 1024
    /// S3's minimum size of every part but the last.
    static let minimumPartSize: Int64 = 5 * 1024 * 1024
    static let maximumParts: Int64 = 10_000
    /// The size parts are cut for when the client does not say how large the file is.
    static let defaultUnknownSize: Int64 = 256 * 1024 * 1024

    /// 64 MiB, or what keeps the part count within 10000.
    static func partSize(expectedSize: Int64) -> Int64 {
        max(defaultPartSize, (expectedSize + maximumParts - 1) / maximumParts)
    }

    /// 409 `upload_incomplete` unless the parts are 1…N without a gap, every one but the last at
    /// least 5 MiB, and, when the upload said how large the file is, exactly that in the expected count.
    static func checkComplete(_ parts: [FileStore.Part], upload: FileStore.Upload) throws {
        func incomplete(_ message: String) -> APIError { APIError(status: .conflict, code: "upload_incomplete", message: message) }
        guard !parts.isEmpty else { throw incomplete("Upload has no parts") }
        for (index, part) in parts.enumerated() where part.number != index + 1 {
            throw incomplete("Upload lacks part \(index + 1)")
        }
        let received = parts.reduce(Int64(0)) { $0 + $1.size }
        if let expected = upload.partsExpected, parts.count != expected || received != upload.expectedSize {
            throw incomplete("Upload has \(parts.count)/\(expected) parts and \(received)/\(upload.expectedSize ?? 0) bytes")
        }
        if let small = parts.dropLast().first(where: { $0.size < minimumPartSize }) {
            throw incomplete("Part \(small.number) has \(small.size) bytes; every part but the last needs at least \(minimumPartSize)")
        }
    }

    /// S3's multipart form: the MD5 of the parts' MD5s, `-`, the part count.
    static func multipartETag(_ parts: [FileStore.Part]) -> String {
        var hasher = Insecure.MD5()
        for part in parts { hasher.update(data: HexString.bytes(part.md5) ?? []) }
        return HexString.lowercase(hasher.finalize()) + "-\(parts.count)"
    }
}

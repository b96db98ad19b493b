import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO

/// Files of an env and their multipart uploads (migration 013). The bytes live in the build
/// storage; these rows say where, and what the API reports of them.
public struct FileStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A file's record and where its bytes are.
    struct Stored: Sendable {
        var record: FileRecord
        var storagePath: String
    }

    static let columns = """
        f.file_id, f.path, f.size, f.etag, f.content_type, f.storage_backend, f.created_by_run_id, f.updated_by_run_id,
        f.created_at, f.updated_at, f.storage_path
        """
    typealias Row = (UUID, String, Int64, String?, String?, String, UUID?, UUID?, Date, Date, String)

    static func stored(_ row: Row) -> Stored {
        Stored(record: FileRecord(fileId: row.0, path: row.1, size: Int(row.2), etag: row.3, contentType: row.4, storageBackend: row.5,
                                  createdByRunId: row.6, updatedByRunId: row.7, createdAt: row.8, updatedAt: row.9),
               storagePath: row.10)
    }

    /// The env's files, most recently updated first: those whose path contains `containing`
    /// (case-insensitive), among the paths `paths` allows (nil: all).
    func list(envId: UUID, containing: String?, paths: ProjectStore.NameFilter?, page: PageRequest) async throws -> Page<FileRecord> {
        let all = paths == nil
        let exact = paths?.exact ?? []
        let prefixes = (paths?.prefixes ?? []).map { ProjectStore.likeEscaped($0) + "%" }
        let pattern = containing.map { "%" + ProjectStore.likeEscaped($0) + "%" } ?? "%"
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns), count(*) OVER ()
            FROM file f
            WHERE f.env_id = \(envId) AND f.path ILIKE \(pattern)
              AND (\(all) OR f.path = ANY(\(exact)) OR f.path LIKE ANY(\(prefixes)))
            ORDER BY f.updated_at DESC, f.file_id DESC
            LIMIT \(page.limit) OFFSET \(page.offset)
            """).all((UUID, String, Int64, String?, String?, String, UUID?, UUID?, Date, Date, String, Int).self)
        let total = try await database.total(windowCount: rows.first?.11, page: page, count: """
            SELECT count(*)::bigint FROM file f
            WHERE f.env_id = \(envId) AND f.path ILIKE \(pattern)
              AND (\(all) OR f.path = ANY(\(exact)) OR f.path LIKE ANY(\(prefixes)))
            """)
        let items = rows.map { Self.stored(($0.0, $0.1, $0.2, $0.3, $0.4, $0.5, $0.6, $0.7, $0.8, $0.9, $0.10)).record }
        return Page(items: items, total: total, limit: page.limit, offset: page.offset)
    }

    func find(envId: UUID, fileId: UUID) async throws -> Stored? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM file f WHERE f.env_id = \(envId) AND f.file_id = \(fileId)
            """).all(Row.self).first.map(Self.stored)
    }

    func exists(envId: UUID, path: String) async throws -> Bool {
        try await !database.query("SELECT 1 FROM file WHERE env_id = \(envId) AND path = \(path)").rows.isEmpty
    }

    /// Bytes the org keeps: its files and its build archives (what the plan's storage limits).
    func storageUsed(orgId: UUID) async throws -> Int64 {
        try await database.query("""
            SELECT \(unescaped: Self.storedBytes(org: "o.org_id")) FROM org o WHERE o.org_id = \(orgId)
            """).all(Int64.self).first ?? 0
    }

    /// SQL for the bytes the org whose id is the column `org` keeps (files and build archives):
    /// the quota check and org usage count the same thing.
    static func storedBytes(org: String) -> String {
        """
        (SELECT coalesce(sum(f.size), 0) FROM file f JOIN env e ON e.env_id = f.env_id WHERE e.org_id = \(org))::bigint
        + (SELECT coalesce(sum(b.size), 0) FROM build b JOIN env e ON e.env_id = b.env_id WHERE e.org_id = \(org))::bigint
        """
    }

    /// What a new file's bytes are, once stored.
    struct Content: Sendable {
        var size: Int64
        var etag: String
        var contentType: String?
        var backend: String
        var storagePath: String
    }

    /// Records `content` as the file at `path`: a new file, or the one there with its content
    /// replaced (same id). Gives the record and the storage path of the content it replaced.
    func put(envId: UUID, path: String, content: Content) async throws -> (FileRecord, replaced: String?) {
        let logger = database.logger
        return try await database.transaction { connection in
            try await Self.put(envId: envId, path: path, content: content, on: connection, logger: logger)
        }
    }

    static func put(envId: UUID, path: String, content: Content, on connection: PostgresConnection,
                    logger: Logger) async throws -> (FileRecord, replaced: String?) {
        let old = try await connection.query("""
            SELECT storage_path FROM file WHERE env_id = \(envId) AND path = \(path) FOR UPDATE
            """, logger: logger).collect().first.map { try $0.decode(String.self) }
        let rows = try await connection.query("""
            INSERT INTO file AS f (file_id, env_id, path, size, etag, content_type, storage_backend, storage_path)
            VALUES (\(UUID.v7()), \(envId), \(path), \(content.size), \(content.etag), \(content.contentType), \(content.backend),
                    \(content.storagePath))
            ON CONFLICT (env_id, path) DO UPDATE SET size = excluded.size, etag = excluded.etag, content_type = excluded.content_type,
                storage_backend = excluded.storage_backend, storage_path = excluded.storage_path, updated_at = now()
            RETURNING \(unescaped: columns)
            """, logger: logger).collect()
        guard let row = rows.first else { throw APIError.internalError() }
        let stored = stored(try row.decode(Row.self))
        return (stored.record, old == content.storagePath ? nil : old)
    }

    /// Deletes the file; gives where its bytes were (nil when there was no such file).
    func delete(envId: UUID, fileId: UUID) async throws -> String? {
        try await database.query("""
            DELETE FROM file WHERE env_id = \(envId) AND file_id = \(fileId) RETURNING storage_path
            """).all(String.self).first
    }

    // MARK: Multipart uploads

    struct Upload: Sendable {
        var uploadId: UUID
        var path: String
        var status: String
        var expectedSize: Int64?
        var contentType: String?
        var partSize: Int64
        var partsExpected: Int?
        var backend: String
        var backendUploadId: String
        var storageKey: String
        var expiresAt: Date
    }

    static let uploadColumns = """
        upload_id, path, status, expected_size, content_type, part_size, parts_expected, storage_backend, backend_upload_id,
        storage_key, expires_at
        """
    typealias UploadRow = (UUID, String, String, Int64?, String?, Int64, Int32?, String, String, String, Date)

    static func upload(_ row: UploadRow) -> Upload {
        Upload(uploadId: row.0, path: row.1, status: row.2, expectedSize: row.3, contentType: row.4, partSize: row.5,
               partsExpected: row.6.map(Int.init), backend: row.7, backendUploadId: row.8, storageKey: row.9, expiresAt: row.10)
    }

    func createUpload(envId: UUID, _ upload: Upload) async throws {
        try await database.query("""
            INSERT INTO file_upload (upload_id, env_id, path, expected_size, content_type, part_size, parts_expected, storage_backend,
                                     backend_upload_id, storage_key, expires_at)
            VALUES (\(upload.uploadId), \(envId), \(upload.path), \(upload.expectedSize), \(upload.contentType), \(upload.partSize),
                    \(upload.partsExpected.map(Int32.init)), \(upload.backend), \(upload.backendUploadId), \(upload.storageKey),
                    \(upload.expiresAt))
            """)
    }

    func findUpload(envId: UUID, uploadId: UUID) async throws -> Upload? {
        try await database.query("""
            SELECT \(unescaped: Self.uploadColumns) FROM file_upload WHERE env_id = \(envId) AND upload_id = \(uploadId)
            """).all(UploadRow.self).first.map(Self.upload)
    }

    struct Part: Sendable, Equatable {
        var number: Int
        var size: Int64
        var md5: String
        var storageTag: String
    }

    func parts(uploadId: UUID) async throws -> [Part] {
        try await database.query("""
            SELECT part_number, size, md5, storage_tag FROM file_upload_part WHERE upload_id = \(uploadId) ORDER BY part_number
            """).all((Int32, Int64, String, String).self).map { Part(number: Int($0.0), size: $0.1, md5: $0.2, storageTag: $0.3) }
    }

    /// Bytes received so far, without part `excluding` (the one about to be replaced).
    func bytesReceived(uploadId: UUID, excluding number: Int) async throws -> Int64 {
        try await database.query("""
            SELECT coalesce(sum(size), 0)::bigint FROM file_upload_part WHERE upload_id = \(uploadId) AND part_number <> \(Int32(number))
            """).all(Int64.self).first ?? 0
    }

    /// Records a stored part, replacing one of the same number; false when the upload is no longer
    /// pending (the part came too late: completed, aborted, or being completed).
    func recordPart(uploadId: UUID, _ part: Part) async throws -> Bool {
        try await !database.query("""
            INSERT INTO file_upload_part (upload_id, part_number, size, md5, storage_tag)
            SELECT \(uploadId), \(Int32(part.number)), \(part.size), \(part.md5), \(part.storageTag)
            FROM file_upload WHERE upload_id = \(uploadId) AND status = 'pending'
            ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, md5 = excluded.md5, storage_tag = excluded.storage_tag
            RETURNING 1
            """).rows.isEmpty
    }

    /// Moves a pending upload to `status`; false when it was not pending (another request got there first).
    func transition(uploadId: UUID, from: String = "pending", to status: String) async throws -> Bool {
        try await !database.query("""
            UPDATE file_upload SET status = \(status) WHERE upload_id = \(uploadId) AND status = \(from) RETURNING 1
            """).rows.isEmpty
    }

    /// The completed upload becomes the file at its path, in one transaction.
    func finish(envId: UUID, upload: Upload, content: Content) async throws -> (FileRecord, replaced: String?) {
        let logger = database.logger
        return try await database.transaction { connection in
            let result = try await Self.put(envId: envId, path: upload.path, content: content, on: connection, logger: logger)
            try await connection.query("UPDATE file_upload SET status = 'completed' WHERE upload_id = \(upload.uploadId)", logger: logger)
            try await connection.query("DELETE FROM file_upload_part WHERE upload_id = \(upload.uploadId)", logger: logger)
            return result
        }
    }

    /// Pending uploads past their expiry (the oldest first), for the sweeper to abort.
    func expiredUploads(now: Date, limit: Int) async throws -> [Upload] {
        try await database.query("""
            SELECT \(unescaped: Self.uploadColumns) FROM file_upload
            WHERE status = 'pending' AND expires_at <= \(now) ORDER BY expires_at LIMIT \(limit)
            """).all(UploadRow.self).map(Self.upload)
    }
}

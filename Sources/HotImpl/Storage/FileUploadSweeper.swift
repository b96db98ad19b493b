import Foundation
import ServiceLifecycle

/// Aborts multipart file uploads left pending past their expiry (24 hours, docs/files.md): their
/// parts are removed from storage, so an abandoned upload costs nothing for long. Each is claimed
/// by moving it to `aborted` first, so two processes never sweep the same one.
public struct FileUploadSweeper: Service {
    let database: Database
    let storage: any BuildStorage
    let clock: any WallClock
    let interval: Duration

    public init(database: Database, storage: any BuildStorage, clock: any WallClock = SystemWallClock(), interval: Duration = .seconds(600)) {
        self.database = database
        self.storage = storage
        self.clock = clock
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await sweep()
                } catch is CancellationError {
                    return
                } catch {
                    database.logger.warning("could not sweep expired file uploads", metadata: ["error": "\(error)"])
                }
                guard await pause(interval) else { return }
            }
        }
    }

    /// One pass: aborts up to 100 expired uploads; gives how many.
    public func sweep() async throws -> Int {
        let files = FileStore(database: database)
        var swept = 0
        for upload in try await files.expiredUploads(now: clock.now(), limit: 100) {
            guard try await files.transition(uploadId: upload.uploadId, to: "aborted") else { continue }
            swept += 1
            do {
                try await storage.abortMultipart(uploadId: upload.backendUploadId, key: upload.storageKey)
            } catch {
                database.logger.warning("the parts of an expired upload could not be removed; they are left behind", metadata: [
                    "upload_id": "\(upload.uploadId.lowercased)", "error": "\(error)",
                ])
            }
        }
        return swept
    }
}

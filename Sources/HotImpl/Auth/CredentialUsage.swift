import Foundation
import HotRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// `last_used_at` of sessions and service keys, written in batches: requests note their use in
/// memory, and a service of the process writes what was noted every `interval` (and once more when
/// it stops), so authenticated reads do not turn into writes.
public final class CredentialUsage: Sendable {
    private let pending = Mutex<[UUID: (kind: CredentialKind, at: Date)]>([:])

    public init() {}

    /// Notes that a credential was used at `date` (API keys do not record use).
    func note(_ credential: Credential, at date: Date) {
        guard credential.kind != .apiKey else { return }
        pending.withLock { $0[credential.id] = (credential.kind, date) }
    }

    /// Writes what was noted; returns how many uses it wrote.
    @discardableResult
    public func flush(_ database: Database) async throws -> Int {
        let batch = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !batch.isEmpty else { return 0 }
        do {
            for (kind, table, column) in [(CredentialKind.session, "session", "session_id"), (.serviceKey, "service_key", "service_key_id")] {
                let uses = batch.filter { $0.value.kind == kind }
                guard !uses.isEmpty else { continue }
                try await database.query("""
                    UPDATE \(unescaped: table) SET last_used_at = u.at
                    FROM unnest(\(uses.map(\.key)), \(uses.map(\.value.at))) AS u(id, at)
                    WHERE \(unescaped: column) = u.id AND (last_used_at IS NULL OR last_used_at < u.at)
                    """)
            }
        } catch {
            // Not lost (PostgreSQL away, or a deadlock with a revocation): kept for the next write,
            // where a later use of the same credential wins.
            pending.withLock { pending in
                for (id, use) in batch where (pending[id]?.at ?? .distantPast) < use.at { pending[id] = use }
            }
            throw error
        }
        return batch.count
    }

    /// The writer, as a service of the process.
    public func writer(database: Database, interval: Duration = .seconds(5)) -> some Service {
        Writer(usage: self, database: database, interval: interval)
    }

    struct Writer: Service {
        let usage: CredentialUsage
        let database: Database
        let interval: Duration

        func run() async throws {
            await cancelWhenGracefulShutdown {
                while await pause(interval) {
                    await write()
                }
            }
            // What requests noted since the last write is not lost on a clean stop.
            await write()
        }

        func write() async {
            do {
                try await usage.flush(database)
            } catch {
                database.logger.warning("could not record credential use", metadata: ["error": .string(String(reflecting: error))])
            }
        }
    }
}

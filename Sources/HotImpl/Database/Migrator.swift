import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `Migrations/` in order, each once and in its own
/// transaction, while holding an advisory lock so that concurrent starts do not race.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    /// Arbitrary, fixed: the advisory lock key of hot-server's migrations.
    static let lockKey: Int64 = 0x486F_745F_4D69_67  // "Hot_Mig"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The migrations shipped with this build, by version.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw DatabaseError.migrationsMissing
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "sql" }.map { url in
            let name = url.deletingPathExtension().lastPathComponent
            guard let version = Int(name.prefix { $0.isNumber }) else { throw DatabaseError.badMigrationName(name) }
            return Migration(version: version, name: name, sql: try String(contentsOf: url, encoding: .utf8))
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is pending; returns the names applied.
    @discardableResult
    public func migrate(_ migrations: [Migration]? = nil) async throws -> [String] {
        let migrations = try migrations ?? Self.bundled()
        return try await client.withConnection { connection in
            // A session-level lock: held across the per-migration transactions below.
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                do {
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                } catch let unlockError {
                    // The lock is the session's: it goes when the connection closes, which a failed
                    // unlock usually means; if not, other processes wait for it until then.
                    logger.warning("could not release the migration lock after a failure", metadata: [
                        "error": .string(String(reflecting: unlockError)),
                    ])
                }
                throw error
            }
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migration (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migration", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.version) {
            try await connection.query("BEGIN", logger: logger)
            do {
                // The extended protocol takes one statement at a time. The text is ours (shipped in
                // the bundle), never user input.
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch let rollbackError {
                    logger.warning("could not roll back a failed migration", metadata: [
                        "migration": .string(migration.name), "error": .string(String(reflecting: rollbackError)),
                    ])
                }
                throw DatabaseError.migrationFailed(migration.name, String(reflecting: error))
            }
            logger.info("applied migration", metadata: ["migration": .string(migration.name)])
            applied.append(migration.name)
        }
        return applied
    }
}

public enum DatabaseError: Error, CustomStringConvertible {
    case migrationsMissing
    case badMigrationName(String)
    case migrationFailed(String, String)
    case badURL(String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .migrationsMissing: "the Migrations resource is missing from the build"
        case .badMigrationName(let name): "migration file \(name) does not start with its number"
        case .migrationFailed(let name, let error): "migration \(name) failed: \(error)"
        case .badURL(let reason): "HOT_DATABASE_URL is not usable: \(reason)"
        case .unreachable(let reason): "cannot reach the database: \(reason)"
        }
    }
}

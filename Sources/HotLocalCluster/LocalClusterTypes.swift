// The managed cluster's public types: where it lives, how to reach it, why it failed.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how the managed cluster lives.
public struct LocalClusterConfiguration: Sendable {
    /// The cluster's data directory, e.g. `$HOT_DATA_DIR/postgres`. Created (with initdb) when missing.
    public var dataDirectory: URL
    /// `false` for tests: `fsync=off`, `synchronous_commit=off`, `full_page_writes=off`, initdb `--no-sync`.
    /// A crash of a non-durable cluster can lose or corrupt data.
    public var durable: Bool
    /// Directory holding `initdb`, `postgres` and `psql`; `nil` discovers them
    /// (`postgres` on PATH, then `/usr/lib/postgresql/<highest>/bin` and similar).
    public var binDirectory: URL?
    /// The port number in the socket's name (`.s.PGSQL.<port>`); no TCP listener is opened.
    public var port: Int
    /// The database created on first start and reported in the endpoint.
    public var databaseName: String
    /// The cluster's superuser (initdb `-U`); local-socket connections use trust authentication.
    public var superuser: String
    /// The system account that owns and runs the cluster when this process runs as root.
    public var systemAccount: String
    /// How long `start()` waits for the server to accept connections (or for a postmaster that
    /// another process is starting or stopping).
    public var startTimeout: Duration
    /// How long `stop()` waits after the fast-shutdown request before escalating to an immediate shutdown.
    public var stopTimeout: Duration

    public init(
        dataDirectory: URL,
        durable: Bool = true,
        binDirectory: URL? = nil,
        port: Int = 5432,
        databaseName: String = "hot",
        superuser: String = "postgres",
        systemAccount: String = "postgres",
        startTimeout: Duration = .seconds(60),
        stopTimeout: Duration = .seconds(60)
    ) {
        self.dataDirectory = dataDirectory
        self.durable = durable
        self.binDirectory = binDirectory
        self.port = port
        self.databaseName = databaseName
        self.superuser = superuser
        self.systemAccount = systemAccount
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
    }
}

/// How to reach a running local cluster (unix socket only).
public struct LocalClusterEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The directory holding the socket (libpq's `host`).
    package var socketDirectory: String
    package var port: Int
    /// The socket file itself, `<socketDirectory>/.s.PGSQL.<port>` (what PostgresNIO's `unixSocketPath` wants).
    public var socketPath: String
    public var username: String
    public var database: String
    /// The postmaster's process id.
    package var postmasterPID: Int32
    /// `true` when this process started the server (and `stop()` will stop it); `false` when a
    /// postmaster that was already running was reused.
    package var startedByThisProcess: Bool

    /// A libpq-style URL: `postgres://<user>@/<database>?host=<socket dir>&port=<port>`.
    package var url: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return "postgres://\(encode(username))@/\(encode(database))?host=\(encode(socketDirectory))&port=\(port)"
    }

    public var description: String {
        "\(socketPath) user=\(username) database=\(database) pid=\(postmasterPID)"
            + (startedByThisProcess ? "" : " (reused)")
    }
}

/// Why the local cluster could not be created, started or stopped.
public enum LocalClusterError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// No directory with `initdb`, `postgres` and `psql` was found (or the configured one lacks them).
    case binariesNotFound(searched: [String])
    /// The data directory holds a cluster of another major version than every binary found.
    case versionMismatch(dataDirectory: String, clusterVersion: String, found: [String])
    /// Running as root, but the system account that must own the cluster does not exist.
    case systemAccountMissing(String)
    /// A directory cannot be used (wrong owner, not reachable by the cluster's account, not a cluster, ...).
    case unusableDirectory(path: String, reason: String)
    /// A program (initdb, postgres, psql) could not be started.
    case spawnFailed(executable: String, reason: String)
    case initdbFailed(status: String, output: String)
    /// postgres exited during start-up.
    case startFailed(status: String, logTail: String)
    /// postgres did not accept connections before the deadline (it was shut down again).
    case startTimedOut(seconds: Double, logTail: String)
    /// A postmaster runs on the data directory but cannot be reused.
    case runningPostmasterUnusable(pid: Int32, reason: String)
    case databaseSetupFailed(database: String, output: String)
    case stopTimedOut(pid: Int32, seconds: Double)
    case systemCallFailed(call: String, errno: Int32)

    public var description: String {
        switch self {
        case .binariesNotFound(let searched):
            return "PostgreSQL binaries not found: install postgresql-15 or set HOT_DATABASE_URL"
                + (searched.isEmpty ? "" : " (looked for initdb, postgres and psql in: \(searched.joined(separator: ", ")))")
        case .versionMismatch(let dir, let version, let found):
            return "the PostgreSQL cluster in \(dir) was created by PostgreSQL \(version), but only these binaries were found: "
                + (found.isEmpty ? "none" : found.joined(separator: ", "))
                + "; install postgresql-\(version) or set HOT_DATABASE_URL"
        case .systemAccountMissing(let name):
            return "running as root, but there is no '\(name)' system user to own and run the local PostgreSQL cluster "
                + "(initdb and postgres refuse to run as root): install postgresql-15 (which creates it), run as an unprivileged user, or set HOT_DATABASE_URL"
        case .unusableDirectory(let path, let reason):
            return "cannot use \(path) for the local PostgreSQL cluster: \(reason)"
        case .spawnFailed(let executable, let reason):
            return "could not start \(executable): \(reason)"
        case .initdbFailed(let status, let output):
            return "initdb failed (\(status)): \(output.isEmpty ? "no output" : output)"
        case .startFailed(let status, let tail):
            return "postgres exited during start-up (\(status)): \(tail.isEmpty ? "no log output" : tail)"
        case .startTimedOut(let seconds, let tail):
            return "postgres did not accept connections within \(Self.format(seconds)) and was shut down"
                + (tail.isEmpty ? "" : "; log tail: \(tail)")
        case .runningPostmasterUnusable(let pid, let reason):
            return "a postmaster (pid \(pid)) runs on the data directory but cannot be used: \(reason)"
        case .databaseSetupFailed(let database, let output):
            return "could not create database \"\(database)\": \(output)"
        case .stopTimedOut(let pid, let seconds):
            return "postgres (pid \(pid)) did not stop within \(Self.format(seconds)), even after an immediate-shutdown request, and was killed"
        case .systemCallFailed(let call, let code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }

    public var errorDescription: String? { description }

    private static func format(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.1f s", seconds)
    }
}

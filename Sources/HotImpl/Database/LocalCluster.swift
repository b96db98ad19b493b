// A managed local PostgreSQL cluster: what hot-server uses when HOT_DATABASE_URL is unset
// (see CONTRACT.md: "a managed local PostgreSQL cluster in $HOT_DATA_DIR/postgres, created with the
// machine's initdb/postgres binaries, listening on a unix socket only, started on demand and stopped
// by the process that started it").
//
// How it works, and why:
// - Every child (initdb, postgres, psql) is started with posix_spawn, not Foundation's Process:
//   the server must live in its own process group (Ctrl-C on the terminal reaches only hot-server,
//   which then stops the cluster itself), must not inherit any descriptor but stdin/stdout/stderr
//   (Foundation's Process learns that *its* children exited through an inherited socket; a long-lived
//   postgres holding one makes `waitUntilExit()` hang, swift-corelibs-foundation issue 4795), and
//   must start with an empty signal mask and default dispositions whatever the host installed.
//   Children are reaped by polling `waitpid(pid, WNOHANG)`, never `waitpid(-1)`.
// - postgres is started directly (no pg_ctl), so its pid is the postmaster's pid.
// - initdb and postgres refuse to run as root: as root they run as the `postgres` system account
//   through `setpriv --reuid --regid --clear-groups` (which execs, so the pid stays the postmaster's),
//   and the cluster's files belong to that account.
// - A postmaster already running on the data directory (postmaster.pid names a live postmaster whose
//   working directory is the data directory) is reused and never stopped by this process.
// - initdb runs in a hidden sibling directory that is renamed into place when complete: a cluster is
//   either absent or whole, and two processes racing to create it cannot both win.

import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Public API

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
    public var socketDirectory: String
    public var port: Int
    /// The socket file itself, `<socketDirectory>/.s.PGSQL.<port>` (what PostgresNIO's `unixSocketPath` wants).
    public var socketPath: String
    public var username: String
    public var database: String
    /// The postmaster's process id.
    public var postmasterPID: Int32
    /// `true` when this process started the server (and `stop()` will stop it); `false` when a
    /// postmaster that was already running was reused.
    public var startedByThisProcess: Bool

    /// A libpq-style URL: `postgres://<user>@/<database>?host=<socket dir>&port=<port>`.
    public var url: String {
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
    /// Running as root, but `setpriv` (util-linux), needed to drop privileges, was not found.
    case privilegeDropToolMissing
    /// A directory cannot be used (wrong owner, not reachable by the cluster's account, not a cluster, ...).
    case unusableDirectory(path: String, reason: String)
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
        case .privilegeDropToolMissing:
            return "running as root, but setpriv (util-linux) was not found: it is needed to run initdb and postgres as an unprivileged user"
        case .unusableDirectory(let path, let reason):
            return "cannot use \(path) for the local PostgreSQL cluster: \(reason)"
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
            return "postgres (pid \(pid)) did not stop within \(Self.format(seconds)), even after an immediate-shutdown request"
        case .systemCallFailed(let call, let code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }

    public var errorDescription: String? { description }

    private static func format(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.1f s", seconds)
    }
}

/// Creates (initdb), starts, reuses and stops the local PostgreSQL cluster of one data directory.
///
/// `start()` and `stop()` are serialised; they ignore task cancellation so that the server is never
/// left half-started or half-stopped. `start()` either returns a server that accepts connections or
/// leaves nothing of its own running.
public actor LocalCluster {
    public nonisolated let configuration: LocalClusterConfiguration
    private let logger: Logger

    private struct Running {
        var endpoint: LocalClusterEndpoint
        /// Set when this instance spawned the postmaster (and must reap and stop it).
        var ownedPID: pid_t?
    }

    private var running: Running?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(configuration: LocalClusterConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "pg.data"] = .string(PGPaths.absolute(configuration.dataDirectory))
        self.logger = logger
    }

    deinit {
        if let running, let pid = running.ownedPID {
            logger.warning("LocalCluster released without stop(); its PostgreSQL keeps running and will be reused", metadata: ["pid": "\(pid)"])
        }
    }

    /// The endpoint of the server this instance started or reused, if any.
    public var endpoint: LocalClusterEndpoint? { running?.endpoint }

    /// Creates the cluster if missing, starts it (or reuses a postmaster already running on the data
    /// directory), makes sure the database exists, and returns how to connect.
    public func start() async throws -> LocalClusterEndpoint {
        await acquire()
        defer { release() }
        return try await startLocked()
    }

    /// Stops the server if this instance started it (fast shutdown: SIGINT, then wait; after
    /// `stopTimeout` an immediate shutdown, SIGQUIT). A reused postmaster is left running.
    public func stop() async throws {
        await acquire()
        defer { release() }
        try await stopLocked()
    }

    // MARK: Serialisation (the actor is re-entrant across awaits)

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        // Ownership passes directly from release() to the resumed waiter.
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    // MARK: Start

    private func startLocked() async throws -> LocalClusterEndpoint {
        let clock = ContinuousClock()
        let began = clock.now

        if let current = running {
            if let pid = current.ownedPID {
                if let status = PGChildren.reap(pid) {
                    logger.warning("postgres exited unexpectedly", metadata: ["pid": "\(pid)", "status": "\(status)"])
                    running = nil
                } else {
                    return current.endpoint
                }
            } else if PGPostmaster.liveness(pid: current.endpoint.postmasterPID, dataDirectory: PGPaths.absolute(configuration.dataDirectory)) == .alive {
                return current.endpoint
            } else {
                logger.info("the reused postmaster is gone; starting one", metadata: ["pid": "\(current.endpoint.postmasterPID)"])
                running = nil
            }
        }

        let dataDirectory = PGPaths.absolute(configuration.dataDirectory)
        let clusterVersion = PGPaths.clusterVersion(dataDirectory)
        let binaries = try await PGBinaries.discover(
            configured: configuration.binDirectory, clusterVersion: clusterVersion, dataDirectory: dataDirectory)
        let account = try PGSystemAccount.forChildren(named: configuration.systemAccount)
        logger.debug("using PostgreSQL binaries", metadata: ["bin": "\(binaries.directory)"])

        if let pidFile = try await adoptableRunningPostmaster(dataDirectory: dataDirectory, deadline: clock.now + configuration.startTimeout) {
            let endpoint = try await adopt(pidFile, binaries: binaries)
            logger.info("reusing running PostgreSQL", metadata: [
                "pid": "\(endpoint.postmasterPID)", "socket": "\(endpoint.socketPath)",
                "ms": "\(Self.milliseconds(since: began))",
            ])
            return endpoint
        }

        if clusterVersion == nil {
            try await initialise(dataDirectory: dataDirectory, binaries: binaries, account: account)
        }
        let socketDirectory = try prepareSocketDirectory(dataDirectory: dataDirectory, account: account)
        if let account { try PGPaths.checkReachable(dataDirectory, by: account) }

        let endpoint = try await launch(
            dataDirectory: dataDirectory, socketDirectory: socketDirectory, binaries: binaries, account: account,
            deadline: clock.now + configuration.startTimeout)
        logger.info(endpoint.startedByThisProcess ? "PostgreSQL started" : "reusing PostgreSQL started concurrently by another process", metadata: [
            "pid": "\(endpoint.postmasterPID)", "socket": "\(endpoint.socketPath)",
            "durable": "\(configuration.durable)", "ms": "\(Self.milliseconds(since: began))",
        ])
        return endpoint
    }

    /// Looks at postmaster.pid: returns it when it names a live postmaster of this data directory
    /// that is ready; waits while such a postmaster is starting or stopping; returns nil when none
    /// runs (removing a pid file only when its pid now belongs to an unrelated or zombie process,
    /// which postgres itself would mistake for a live postmaster).
    private func adoptableRunningPostmaster(dataDirectory: String, deadline: ContinuousClock.Instant) async throws -> PGPostmaster.PIDFile? {
        var pause = PGPause()
        var loggedWait = false
        var unreadableSince: ContinuousClock.Instant?
        while true {
            guard let pidFile = try PGPostmaster.readPIDFile(dataDirectory: dataDirectory) else { return nil }
            if pidFile.pid == 0 {
                // Being written: look again. Still empty after 2 s: the remnant of a crash during start-up.
                let since = unreadableSince ?? ContinuousClock.now
                unreadableSince = since
                if ContinuousClock.now - since > .seconds(2) {
                    logger.info("removing an empty postmaster.pid left by a crash during start-up")
                    PGPostmaster.removeStaleLockFiles(pidFile, dataDirectory: dataDirectory)
                    return nil
                }
                await pause.next()
                continue
            }
            switch PGPostmaster.liveness(pid: pidFile.pid, dataDirectory: dataDirectory) {
            case .gone:
                logger.debug("stale postmaster.pid (process gone); postgres will replace it", metadata: ["pid": "\(pidFile.pid)"])
                return nil
            case .notPostmaster:
                logger.info("removing stale postmaster.pid: its pid now belongs to another or a zombie process", metadata: ["pid": "\(pidFile.pid)"])
                PGPostmaster.removeStaleLockFiles(pidFile, dataDirectory: dataDirectory)
                return nil
            case .alive:
                if pidFile.singleUser {
                    throw LocalClusterError.runningPostmasterUnusable(pid: pidFile.pid, reason: "a single-user postgres backend holds the data directory")
                }
                if pidFile.status == "ready" {
                    guard let socket = pidFile.socketDirectory, !socket.isEmpty, pidFile.port != nil else {
                        throw LocalClusterError.runningPostmasterUnusable(pid: pidFile.pid, reason: "it listens on no unix socket")
                    }
                    return pidFile
                }
                if !loggedWait {
                    logger.info("waiting for the postmaster another process is starting or stopping", metadata: [
                        "pid": "\(pidFile.pid)", "state": "\(pidFile.status ?? "?")",
                    ])
                    loggedWait = true
                }
            }
            if ContinuousClock.now >= deadline {
                throw LocalClusterError.startTimedOut(
                    seconds: Self.seconds(configuration.startTimeout),
                    logTail: "postmaster pid \(pidFile.pid) (started by another process) stayed in state '\(pidFile.status ?? "unknown")'")
            }
            await pause.next()
        }
    }

    private func adopt(_ pidFile: PGPostmaster.PIDFile, binaries: PGBinaries) async throws -> LocalClusterEndpoint {
        let socketDirectory = pidFile.socketDirectory ?? ""
        let port = pidFile.port ?? configuration.port
        let endpoint = LocalClusterEndpoint(
            socketDirectory: socketDirectory, port: port,
            socketPath: PGPaths.socketFile(directory: socketDirectory, port: port),
            username: configuration.superuser, database: configuration.databaseName,
            postmasterPID: pidFile.pid, startedByThisProcess: false)
        try await ensureDatabase(endpoint: endpoint, binaries: binaries)
        running = Running(endpoint: endpoint, ownedPID: nil)
        return endpoint
    }

    private func initialise(dataDirectory: String, binaries: PGBinaries, account: PGSystemAccount?) async throws {
        let target = URL(fileURLWithPath: dataDirectory)
        let parent = target.deletingLastPathComponent().path
        let name = target.lastPathComponent
        let fm = FileManager.default

        if PGPaths.clusterVersion(dataDirectory) != nil { return }  // another process just created it
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) {
            let contents = (try? fm.contentsOfDirectory(atPath: dataDirectory)) ?? []
            if !isDirectory.boolValue || !contents.isEmpty {
                throw LocalClusterError.unusableDirectory(
                    path: dataDirectory, reason: "it exists but is not a PostgreSQL cluster (no PG_VERSION); move it away or empty it")
            }
        }
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw LocalClusterError.unusableDirectory(path: parent, reason: "\(error.localizedDescription)")
        }
        if let account { try PGPaths.checkReachable(dataDirectory, by: account) }
        PGPaths.removeAbandonedInitdbDirectories(parent: parent, name: name)

        let staging = "\(parent)/.\(name).initdb.\(getpid())"
        try? fm.removeItem(atPath: staging)
        guard mkdir(staging, 0o700) == 0 else { throw LocalClusterError.systemCallFailed(call: "mkdir \(staging)", errno: errno) }
        var keepStaging = false
        defer { if !keepStaging { try? fm.removeItem(atPath: staging) } }
        if let account {
            guard chown(staging, account.uid, account.gid) == 0 else { throw LocalClusterError.systemCallFailed(call: "chown \(staging)", errno: errno) }
        }

        logger.info("creating PostgreSQL cluster (initdb)", metadata: ["owner": "\(account?.name ?? "current user")"])
        var arguments = [
            "-D", staging, "-U", configuration.superuser,
            "--auth-local=trust", "--auth-host=reject", "--encoding=UTF8", "--locale=C", "--no-instructions",
        ]
        if !configuration.durable { arguments.append("--no-sync") }
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await PGChildren.run(
            binaries.initdb, arguments: arguments, account: account, timeout: .seconds(300))
        guard result.succeeded else {
            throw LocalClusterError.initdbFailed(status: result.status.description, output: PGText.tail(result.stderr + result.stdout))
        }
        if rename(staging, dataDirectory) != 0 {
            let code = errno
            if code == ENOTEMPTY || code == EEXIST, PGPaths.clusterVersion(dataDirectory) != nil {
                logger.info("another process created the cluster at the same time; using theirs")
                return
            }
            throw LocalClusterError.systemCallFailed(call: "rename \(staging) to \(dataDirectory)", errno: code)
        }
        keepStaging = true
        logger.info("PostgreSQL cluster created", metadata: ["ms": "\(Self.milliseconds(since: began))"])
    }

    /// `<data>/socket` when its socket path fits a unix socket address (107 bytes); otherwise
    /// `/tmp/hot-pg-<hash of the data directory>`. Owned by the cluster's account, mode 0700.
    private func prepareSocketDirectory(dataDirectory: String, account: PGSystemAccount?) throws -> String {
        var directory = dataDirectory + "/socket"
        if PGPaths.socketFile(directory: directory, port: configuration.port).utf8.count > PGPaths.maximumSocketPathLength {
            directory = "/tmp/hot-pg-" + PGText.fnv1a64Hex(dataDirectory)
            logger.debug("socket path too long inside the data directory; using a directory under /tmp", metadata: ["socketDir": "\(directory)"])
        }
        let owner = account?.uid ?? geteuid()
        if mkdir(directory, 0o700) == 0 {
            if let account, chown(directory, account.uid, account.gid) != 0 {
                throw LocalClusterError.systemCallFailed(call: "chown \(directory)", errno: errno)
            }
            return directory
        }
        guard errno == EEXIST else { throw LocalClusterError.systemCallFailed(call: "mkdir \(directory)", errno: errno) }
        // It exists (from an earlier start, or another process just made it): it must be a real
        // directory of the cluster's owner, not something planted in /tmp by someone else.
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw LocalClusterError.systemCallFailed(call: "lstat \(directory)", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw LocalClusterError.unusableDirectory(path: directory, reason: "it is not a directory")
        }
        guard info.st_uid == owner else {
            throw LocalClusterError.unusableDirectory(path: directory, reason: "it belongs to uid \(info.st_uid), not \(owner)")
        }
        return directory
    }

    private func launch(
        dataDirectory: String, socketDirectory: String, binaries: PGBinaries, account: PGSystemAccount?,
        deadline: ContinuousClock.Instant
    ) async throws -> LocalClusterEndpoint {
        let log = try PGServerLog(path: dataDirectory + "/server.log", account: account)
        defer { log.close() }

        let onOff = configuration.durable ? "on" : "off"
        let arguments = [
            "-D", dataDirectory,
            "-k", PGText.quotedListElement(socketDirectory),
            "-p", String(configuration.port),
            "-c", "listen_addresses=",
            "-c", "fsync=\(onOff)",
            "-c", "synchronous_commit=\(onOff)",
            "-c", "full_page_writes=\(onOff)",
        ]

        var sharedMemoryRetries = 0
        while true {
            let logStart = log.offset()
            let pid = try PGChildren.spawn(
                binaries.postgres, arguments: arguments, account: account,
                stdout: log.fd, stderr: log.fd, newProcessGroup: true)
            logger.debug("spawned postgres", metadata: ["pid": "\(pid)"])

            var pause = PGPause()
            while true {
                if let status = PGChildren.reap(pid) {
                    let tail = log.tail(from: logStart)
                    // Another process won a start race: use its postmaster.
                    if let other = try await adoptableRunningPostmaster(dataDirectory: dataDirectory, deadline: deadline) {
                        logger.info("another process started PostgreSQL at the same time; reusing it", metadata: ["pid": "\(other.pid)"])
                        return try await adopt(other, binaries: binaries)
                    }
                    // After a kill -9 the old server processes may need a moment to exit and release shared memory.
                    if tail.contains("pre-existing shared memory block"), ContinuousClock.now < deadline, sharedMemoryRetries < 50 {
                        sharedMemoryRetries += 1
                        logger.debug("old server processes still hold shared memory; retrying")
                        await PGPause.sleep(milliseconds: 100)
                        break
                    }
                    throw LocalClusterError.startFailed(status: status.description, logTail: tail)
                }
                if let pidFile = try? PGPostmaster.readPIDFile(dataDirectory: dataDirectory),
                   pidFile.pid == pid, pidFile.status == "ready"
                {
                    let endpoint = LocalClusterEndpoint(
                        socketDirectory: socketDirectory, port: configuration.port,
                        socketPath: PGPaths.socketFile(directory: socketDirectory, port: configuration.port),
                        username: configuration.superuser, database: configuration.databaseName,
                        postmasterPID: pid, startedByThisProcess: true)
                    running = Running(endpoint: endpoint, ownedPID: pid)
                    do {
                        try await ensureDatabase(endpoint: endpoint, binaries: binaries)
                    } catch {
                        try? await stopLocked()
                        throw error
                    }
                    return endpoint
                }
                if ContinuousClock.now >= deadline {
                    logger.error("postgres did not become ready in time; shutting it down", metadata: ["pid": "\(pid)"])
                    _ = await PGChildren.terminate(pid, signal: SIGQUIT, within: .seconds(10))
                    throw LocalClusterError.startTimedOut(seconds: Self.seconds(configuration.startTimeout), logTail: log.tail(from: logStart))
                }
                await pause.next()
            }
        }
    }

    private func ensureDatabase(endpoint: LocalClusterEndpoint, binaries: PGBinaries) async throws {
        let name = endpoint.database
        let common = [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", endpoint.socketDirectory, "-p", String(endpoint.port), "-U", endpoint.username, "-d", "postgres",
        ]
        let literal = "'" + name.replacingOccurrences(of: "'", with: "''") + "'"
        let check = try await PGChildren.run(
            binaries.psql, arguments: common + ["-c", "SELECT 1 FROM pg_database WHERE datname = \(literal)"],
            account: nil, timeout: .seconds(30))
        guard check.succeeded else {
            throw LocalClusterError.databaseSetupFailed(database: name, output: PGText.tail(check.stderr + check.stdout))
        }
        if check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return }

        let identifier = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let create = try await PGChildren.run(
            binaries.psql, arguments: common + ["-c", "CREATE DATABASE \(identifier)"], account: nil, timeout: .seconds(60))
        if create.succeeded {
            logger.info("created database", metadata: ["database": "\(name)"])
        } else if !create.stderr.contains("already exists") {
            throw LocalClusterError.databaseSetupFailed(database: name, output: PGText.tail(create.stderr + create.stdout))
        }
    }

    // MARK: Stop

    private func stopLocked() async throws {
        guard let current = running else { return }
        running = nil
        guard let pid = current.ownedPID else {
            logger.debug("leaving the reused PostgreSQL running (another process started it)", metadata: ["pid": "\(current.endpoint.postmasterPID)"])
            return
        }
        let clock = ContinuousClock()
        let began = clock.now
        if let status = PGChildren.reap(pid) {
            logger.warning("postgres had already exited", metadata: ["pid": "\(pid)", "status": "\(status)"])
            return
        }
        if await PGChildren.terminate(pid, signal: SIGINT, within: configuration.stopTimeout) != nil {
            logger.info("PostgreSQL stopped", metadata: ["pid": "\(pid)", "ms": "\(Self.milliseconds(since: began))"])
            return
        }
        logger.warning("postgres ignored the fast-shutdown request; requesting an immediate shutdown", metadata: ["pid": "\(pid)"])
        if await PGChildren.terminate(pid, signal: SIGQUIT, within: .seconds(10)) != nil { return }
        throw LocalClusterError.stopTimedOut(pid: pid, seconds: Self.seconds(configuration.stopTimeout) + 10)
    }

    // MARK: Helpers

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

// MARK: - Internals

/// The unprivileged account children run as when this process is root.
private struct PGSystemAccount: Sendable {
    var name: String
    var uid: uid_t
    var gid: gid_t
    var home: String
    /// The `setpriv` executable used to switch to the account.
    var setpriv: String

    /// nil when not running as root (children then run as the current user).
    static func forChildren(named name: String) throws -> PGSystemAccount? {
        guard geteuid() == 0 else { return nil }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard code == 0, let found = result?.pointee else { throw LocalClusterError.systemAccountMissing(name) }
        guard found.pw_uid != 0 else {
            throw LocalClusterError.unusableDirectory(path: name, reason: "the system account '\(name)' is root; initdb and postgres refuse root")
        }
        let candidates = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"]
            + PGPaths.searchPath().map { $0 + "/setpriv" }
        guard let setpriv = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw LocalClusterError.privilegeDropToolMissing
        }
        return PGSystemAccount(
            name: name, uid: found.pw_uid, gid: found.pw_gid,
            home: found.pw_dir.map { String(cString: $0) } ?? "/", setpriv: setpriv)
    }
}

private struct PGBinaries: Sendable {
    var directory: String
    var initdb: String
    var postgres: String
    var psql: String

    static func discover(configured: URL?, clusterVersion: String?, dataDirectory: String) async throws -> PGBinaries {
        if let configured {
            let directory = PGPaths.absolute(configured)
            guard let found = PGBinaries(directory: directory) else {
                throw LocalClusterError.binariesNotFound(searched: [directory])
            }
            if let clusterVersion, let version = await found.majorVersion(), version != clusterVersion {
                throw LocalClusterError.versionMismatch(
                    dataDirectory: dataDirectory, clusterVersion: clusterVersion, found: ["\(directory) (PostgreSQL \(version))"])
            }
            return found
        }

        var searched: [String] = []
        var candidates: [PGBinaries] = []
        var seen = Set<String>()
        func consider(_ directory: String) {
            guard seen.insert(directory).inserted else { return }
            searched.append(directory)
            if let found = PGBinaries(directory: directory) { candidates.append(found) }
        }
        // `postgres` on PATH (symlinks resolved: Debian-style links point into the versioned bin directory).
        for directory in PGPaths.searchPath() {
            let postgres = directory + "/postgres"
            guard access(postgres, X_OK) == 0 else { continue }
            consider(URL(fileURLWithPath: PGPaths.resolved(postgres)).deletingLastPathComponent().path)
        }
        // Versioned installation directories, highest version first.
        for pattern in [
            ("/usr/lib/postgresql", "", "/bin"), ("/usr", "pgsql-", "/bin"),
            ("/opt/homebrew/opt", "postgresql@", "/bin"), ("/usr/local/opt", "postgresql@", "/bin"),
        ] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: pattern.0)) ?? []
            let versions = entries.compactMap { entry -> (String, [Int])? in
                guard entry.hasPrefix(pattern.1) else { return nil }
                let version = entry.dropFirst(pattern.1.count)
                let numbers = version.split(separator: ".").compactMap { Int($0) }
                guard !numbers.isEmpty else { return nil }
                return (entry, numbers)
            }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.reversed()
            for (entry, _) in versions { consider(pattern.0 + "/" + entry + pattern.2) }
        }

        guard !candidates.isEmpty else { throw LocalClusterError.binariesNotFound(searched: searched) }
        guard let clusterVersion else { return candidates[0] }
        var found: [String] = []
        for candidate in candidates {
            let version = await candidate.majorVersion()
            if version == clusterVersion { return candidate }
            found.append("\(candidate.directory) (PostgreSQL \(version ?? "?"))")
        }
        throw LocalClusterError.versionMismatch(dataDirectory: dataDirectory, clusterVersion: clusterVersion, found: found)
    }

    /// nil unless the directory holds executable initdb and postgres (psql may come from PATH).
    init?(directory: String) {
        let initdb = directory + "/initdb", postgres = directory + "/postgres"
        guard access(initdb, X_OK) == 0, access(postgres, X_OK) == 0 else { return nil }
        let psql = ([directory] + PGPaths.searchPath()).map { $0 + "/psql" }.first { access($0, X_OK) == 0 }
        guard let psql else { return nil }
        self.directory = directory
        self.initdb = initdb
        self.postgres = postgres
        self.psql = psql
    }

    /// "15" from `postgres (PostgreSQL) 15.18 (Debian ...)`.
    func majorVersion() async -> String? {
        guard let result = try? await PGChildren.run(postgres, arguments: ["-V"], account: nil, timeout: .seconds(10)),
              result.succeeded,
              let range = result.stdout.range(of: "(PostgreSQL) ")
        else { return nil }
        let major = result.stdout[range.upperBound...].prefix { $0.isNumber }
        return major.isEmpty ? nil : String(major)
    }
}

private enum PGPaths {
    /// sizeof(sockaddr_un.sun_path) - 1.
    static let maximumSocketPathLength = 107

    static func absolute(_ url: URL) -> String {
        var path = url.absoluteURL.standardizedFileURL.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func socketFile(directory: String, port: Int) -> String { "\(directory)/.s.PGSQL.\(port)" }

    static func resolved(_ path: String) -> String {
        guard let pointer = realpath(path, nil) else { return path }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func searchPath() -> [String] {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            .split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }

    /// The major version in `<data>/PG_VERSION`, nil when there is no cluster.
    static func clusterVersion(_ dataDirectory: String) -> String? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/PG_VERSION", encoding: .utf8) else { return nil }
        let version = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return version.isEmpty ? nil : version
    }

    /// Every ancestor of `path` must be searchable by the account (it runs with only its primary group).
    static func checkReachable(_ path: String, by account: PGSystemAccount) throws {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            var info = stat()
            guard stat(prefix, &info) == 0 else { throw LocalClusterError.systemCallFailed(call: "stat \(prefix)", errno: errno) }
            let mode = info.st_mode
            let searchable: Bool
            if info.st_uid == account.uid {
                searchable = mode & S_IXUSR != 0
            } else if info.st_gid == account.gid {
                searchable = mode & S_IXGRP != 0
            } else {
                searchable = mode & S_IXOTH != 0
            }
            if !searchable {
                throw LocalClusterError.unusableDirectory(
                    path: path,
                    reason: "the '\(account.name)' user cannot enter \(prefix) (mode \(String(mode & 0o7777, radix: 8)), owner uid \(info.st_uid)); "
                        + "put HOT_DATA_DIR somewhere it can reach, or set HOT_DATABASE_URL")
            }
        }
    }

    /// Removes `.<name>.initdb.<pid>` directories left by an initdb whose process is gone.
    static func removeAbandonedInitdbDirectories(parent: String, name: String) {
        let prefix = ".\(name).initdb."
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: parent + "/" + entry)
            }
        }
    }
}

private enum PGPostmaster {
    struct PIDFile: Equatable {
        var raw: String
        var pid: pid_t
        var singleUser: Bool
        var port: Int?
        var socketDirectory: String?
        var status: String?
    }

    /// postmaster.pid lines: pid, data directory, start time, port, first socket directory,
    /// first listen address, shared memory key, status ("starting", "ready", "stopping", "standby").
    static func readPIDFile(dataDirectory: String) throws -> PIDFile? {
        let path = dataDirectory + "/postmaster.pid"
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if access(path, F_OK) != 0, errno == ENOENT { return nil }
            if access(dataDirectory, F_OK) != 0, errno == ENOENT { return nil }
            throw LocalClusterError.unusableDirectory(path: dataDirectory, reason: "cannot read postmaster.pid: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        // pid 0: empty or half-written (a postmaster is writing it, or a crash left it so).
        guard let first = lines.first, let number = Int32(first), number != 0 else {
            return PIDFile(raw: text, pid: 0, singleUser: false, port: nil, socketDirectory: nil, status: nil)
        }
        func line(_ index: Int) -> String? { index < lines.count ? lines[index] : nil }
        return PIDFile(
            raw: text, pid: abs(number), singleUser: number < 0,
            port: line(3).flatMap { Int($0) }, socketDirectory: line(4), status: line(7))
    }

    enum Liveness: Equatable {
        case alive
        /// No such process: postgres replaces the pid file itself.
        case gone
        /// The pid is used by a zombie or by a process that is not this data directory's postmaster.
        case notPostmaster
    }

    static func liveness(pid: pid_t, dataDirectory: String) -> Liveness {
        guard pid > 0 else { return .gone }
        if kill(pid, 0) != 0, errno == ESRCH { return .gone }
        #if os(Linux)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return .notPostmaster }
        }
        // A postmaster's working directory is its data directory.
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/\(pid)/cwd", &buffer, buffer.count - 1)
        if count > 0 {
            let cwd = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return cwd == PGPaths.resolved(dataDirectory) ? .alive : .notPostmaster
        }
        if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) {
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            return name == "postgres" || name == "postmaster" ? .alive : .notPostmaster
        }
        #endif
        return .alive
    }

    /// Removes postmaster.pid (and the socket lock file naming the same pid), but only if they
    /// still hold what was read: never a file a new postmaster just wrote.
    static func removeStaleLockFiles(_ pidFile: PIDFile, dataDirectory: String) {
        if let current = try? readPIDFile(dataDirectory: dataDirectory), current == pidFile {
            unlink(dataDirectory + "/postmaster.pid")
        }
        if let socket = pidFile.socketDirectory, !socket.isEmpty, let port = pidFile.port {
            let lock = PGPaths.socketFile(directory: socket, port: port) + ".lock"
            if let text = try? String(contentsOfFile: lock, encoding: .utf8),
               let first = text.split(separator: "\n").first, Int32(first.trimmingCharacters(in: .whitespaces)).map(abs) == pidFile.pid
            {
                unlink(lock)
            }
        }
    }
}

/// postgres's stdout/stderr: `<data>/server.log`, appended to, set aside as server.log.1 past 16 MiB.
private final class PGServerLog {
    let fd: Int32

    init(path: String, account: PGSystemAccount?) throws {
        var info = stat()
        if stat(path, &info) == 0, info.st_size > 16 << 20 {
            rename(path, path + ".1")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LocalClusterError.unusableDirectory(
                path: path, reason: "cannot open the server log: \(String(cString: strerror(errno))) (does the cluster belong to another user?)")
        }
        if let account { _ = fchown(fd, account.uid, account.gid) }
        self.fd = fd
    }

    func offset() -> off_t { lseek(fd, 0, SEEK_END) }

    func tail(from start: off_t) -> String {
        let end = lseek(fd, 0, SEEK_END)
        let from = max(start, end - 4096)
        guard end > from else { return "" }
        var bytes = [UInt8](repeating: 0, count: Int(end - from))
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, from) }
        guard count > 0 else { return "" }
        return PGText.tail(String(decoding: bytes[0..<count], as: UTF8.self))
    }

    func close() {
        pgCloseDescriptor(fd)
    }
}

private func pgCloseDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #elseif canImport(Musl)
    _ = Musl.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

private enum PGExitStatus: Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    case unknown

    init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        self = signal == 0 ? .exited((waitStatus >> 8) & 0xff) : .signaled(signal)
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .unknown: return "exit status unknown"
        }
    }
}

/// Child processes: posix_spawn, own process group on request, no inherited descriptors beyond
/// 0–2, empty signal mask and default dispositions; reaped per pid with WNOHANG.
private enum PGChildren {
    struct Result {
        var status: PGExitStatus
        var stdout: String
        var stderr: String
        var succeeded: Bool { if case .exited(0) = status { return true } else { return false } }
    }

    /// The environment children get: ours without PG* variables (which would redirect psql/libpq), in the C locale.
    static func environment(account: PGSystemAccount?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        for key in environment.keys where key.hasPrefix("LC_") || key == "LANG" || key == "LANGUAGE" {
            environment[key] = nil
        }
        environment["LC_ALL"] = "C"
        if let account {
            environment["HOME"] = account.home
            environment["USER"] = account.name
            environment["LOGNAME"] = account.name
        }
        return environment
    }

    static func spawn(
        _ executable: String, arguments: [String], account: PGSystemAccount?,
        stdout: Int32, stderr: Int32, newProcessGroup: Bool
    ) throws -> pid_t {
        var path = executable
        var argv = [executable] + arguments
        if let account {
            path = account.setpriv
            argv = [account.setpriv, "--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups", "--"] + argv
        }
        let environment = environment(account: account).map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { throw LocalClusterError.systemCallFailed(call: "posix_spawn_file_actions_init", errno: errno) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        guard posix_spawnattr_init(&attributes) == 0 else { throw LocalClusterError.systemCallFailed(call: "posix_spawnattr_init", errno: errno) }
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if os(Linux)
        // glibc ≥ 2.34 / 2.29; Swift's Glibc module does not declare these GNU extensions, so look them up.
        if let addClosefrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 =
            cSymbol("posix_spawn_file_actions_addclosefrom_np")
        {
            _ = addClosefrom(&actions, 3)
        } else {
            markDescriptorsCloseOnExec()
        }
        if let addChdir: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32 =
            cSymbol("posix_spawn_file_actions_addchdir_np")
        {
            _ = addChdir(&actions, "/")
        }
        #elseif canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid = pid_t()
        let code = posix_spawn(&pid, path, &actions, &attributes, cArguments, cEnvironment)
        guard code == 0 else { throw LocalClusterError.systemCallFailed(call: "posix_spawn \(path)", errno: code) }
        return pid
    }

    #if os(Linux)
    static func cSymbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: T.self)
    }

    /// Fallback without posix_spawn_file_actions_addclosefrom_np: set FD_CLOEXEC on every
    /// descriptor above 2 (best effort; a descriptor opened concurrently by another thread may slip through).
    static func markDescriptorsCloseOnExec() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
    #endif

    /// The child's status if it has exited (reaping it), nil while it runs.
    static func reap(_ pid: pid_t) -> PGExitStatus? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return PGExitStatus(waitStatus: status) }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            return .unknown  // ECHILD: already reaped, or not our child
        }
    }

    /// Sends `signal` and waits for the child to exit; nil if it is still running after `within`.
    static func terminate(_ pid: pid_t, signal: Int32, within timeout: Duration) async -> PGExitStatus? {
        if let status = reap(pid) { return status }
        kill(pid, signal)
        let deadline = ContinuousClock.now + timeout
        var pause = PGPause()
        while ContinuousClock.now < deadline {
            await pause.next()
            if let status = reap(pid) { return status }
        }
        return nil
    }

    /// Runs a short-lived program to completion, capturing its output (in unlinked temporary files,
    /// so a chatty child can never block on a full pipe).
    static func run(_ executable: String, arguments: [String], account: PGSystemAccount?, timeout: Duration) async throws -> Result {
        let out = try PGCaptureFile(), err = try PGCaptureFile()
        defer {
            out.close()
            err.close()
        }
        let pid = try spawn(executable, arguments: arguments, account: account, stdout: out.fd, stderr: err.fd, newProcessGroup: false)
        let deadline = ContinuousClock.now + timeout
        var pause = PGPause()
        while true {
            if let status = reap(pid) {
                return Result(status: status, stdout: out.contents(), stderr: err.contents())
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                let name = URL(fileURLWithPath: executable).lastPathComponent
                return Result(status: .unknown, stdout: out.contents(), stderr: err.contents() + "\n\(name) timed out and was killed")
            }
            await pause.next()
        }
    }
}

private final class PGCaptureFile {
    let fd: Int32

    init() throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hot-cluster-XXXXXX").path
        var template = Array(directory.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LocalClusterError.systemCallFailed(call: "mkstemp", errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    func contents() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while bytes.count < 4 << 20 {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
            offset += off_t(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func close() { pgCloseDescriptor(fd) }
}

/// Polling intervals: 2 ms doubling up to 25 ms. Immune to task cancellation, so that start and stop
/// always run to their own deadlines.
private struct PGPause {
    private var milliseconds = 2

    mutating func next() async {
        await Self.sleep(milliseconds: milliseconds)
        milliseconds = min(milliseconds * 2, 25)
    }

    static func sleep(milliseconds: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { continuation.resume() }
        }
    }
}

private enum PGText {
    /// The last lines of a program's output, trimmed, at most ~2000 characters.
    static func tail(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(15)
        var joined = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if joined.count > 2000 { joined = "…" + joined.suffix(2000) }
        return joined
    }

    /// A stable name for a path (not Swift's per-process randomised Hasher): FNV-1a, 64 bits, hex.
    static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// unix_socket_directories is a comma-separated list; quote an element that needs it.
    static func quotedListElement(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == " " || $0 == "\"" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

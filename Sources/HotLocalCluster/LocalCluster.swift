// A managed local PostgreSQL cluster: what hot-server uses when HOT_DATABASE_URL is unset
// (docs/configuration.md, "The managed cluster"): a cluster in $HOT_DATA_DIR/postgres, created with
// the machine's initdb/postgres binaries, listening on a unix socket only, started on demand and
// stopped by the process that started it. A module of its own (HotLocalCluster: swift-subprocess,
// swift-system, swift-log, Foundation; no PostgresNIO): HotImpl's DatabaseSession starts and stops it,
// and the tests start throwaway clusters with it.
//
// How it works, and why:
// - Every child (initdb, postgres, psql) is started by swift-subprocess, not Foundation's Process
//   (PGChildren.swift says what that guarantees: no inherited descriptors, default signal
//   dispositions, postgres in its own process group, exits learnt without polling).
// - postgres is started directly (no pg_ctl), so its pid is the postmaster's pid.
// - initdb and postgres refuse to run as root: as root they run as the `postgres` system account
//   (PGSystemAccount.swift; the child drops to its uid and gid before exec, so the pid stays the
//   postmaster's), and the cluster's files belong to that account.
// - Files: the actor here (serialisation, start: reuse or launch, stop); LocalCluster+Setup.swift (what a
//   start creates: the cluster with initdb, the socket directory, the database); LocalClusterTypes.swift
//   (configuration, endpoint, errors); PGBinaries.swift (finding initdb/postgres/psql); PGPostmaster.swift
//   (postmaster.pid, liveness); PGFiles.swift (paths, server.log, text helpers); PGChildren.swift (child
//   processes); PGSystemAccount.swift (the account children run as under root).
// - A postmaster already running on the data directory (postmaster.pid names a live postmaster whose
//   working directory is the data directory) is reused and never stopped by this process.
// - initdb runs in a hidden sibling directory that is renamed into place when complete: a cluster is
//   either absent or whole, and two processes racing to create it cannot both win.

import Foundation
import Logging
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates (initdb), starts, reuses and stops the local PostgreSQL cluster of one data directory.
///
/// `start()` and `stop()` are serialised; they ignore task cancellation so that the server is never
/// left half-started or half-stopped. `start()` either returns a server that accepts connections or
/// leaves nothing of its own running.
public actor LocalCluster {
    package nonisolated let configuration: LocalClusterConfiguration
    let logger: Logger

    private struct Running {
        var endpoint: LocalClusterEndpoint
        /// Set when this instance spawned the postmaster (and must stop it).
        var owned: PGServerProcess?
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
        if let running, let process = running.owned {
            logger.warning("LocalCluster released without stop(); its PostgreSQL keeps running and will be reused", metadata: ["pid": "\(process.pid)"])
        }
    }

    /// The endpoint of the server this instance started or reused, if any.
    package var endpoint: LocalClusterEndpoint? { running?.endpoint }

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
            if let process = current.owned {
                if let status = process.exitStatus {
                    logger.warning("postgres exited unexpectedly", metadata: ["pid": "\(process.pid)", "status": "\(status)"])
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
        running = Running(endpoint: endpoint, owned: nil)
        return endpoint
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
            let process = try await PGServerProcess.spawn(
                binaries.postgres, arguments: arguments, account: account, output: log.fd, shutdown: shutdownSequence)
            let pid = process.pid
            logger.debug("spawned postgres", metadata: ["pid": "\(pid)"])

            // Readiness is only written to postmaster.pid, so that is looked at between waits; an
            // exit ends the wait at once.
            var pause = PGPause()
            while true {
                if let status = process.exitStatus {
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
                        await PGPause.sleep(.milliseconds(100))
                        break
                    }
                    throw LocalClusterError.startFailed(status: status.description, logTail: tail)
                }
                // Absent or half-written while postgres starts: polled again.
                if let pidFile = try? PGPostmaster.readPIDFile(dataDirectory: dataDirectory),
                   pidFile.pid == pid, pidFile.status == "ready"
                {
                    let endpoint = LocalClusterEndpoint(
                        socketDirectory: socketDirectory, port: configuration.port,
                        socketPath: PGPaths.socketFile(directory: socketDirectory, port: configuration.port),
                        username: configuration.superuser, database: configuration.databaseName,
                        postmasterPID: pid, startedByThisProcess: true)
                    running = Running(endpoint: endpoint, owned: process)
                    do {
                        try await ensureDatabase(endpoint: endpoint, binaries: binaries)
                    } catch {
                        do {
                            try await stopLocked()
                        } catch let stopError {
                            logger.warning("could not stop the PostgreSQL started for a failed start; it may keep running", metadata: [
                                "pid": "\(pid)", "error": "\(stopError)",
                            ])
                        }
                        throw error
                    }
                    return endpoint
                }
                if ContinuousClock.now >= deadline {
                    logger.error("postgres did not become ready in time; shutting it down", metadata: ["pid": "\(pid)"])
                    process.requestShutdown()
                    _ = await process.waitForExit(within: .seconds(10))
                    throw LocalClusterError.startTimedOut(seconds: Self.seconds(configuration.startTimeout), logTail: log.tail(from: logStart))
                }
                _ = await process.waitForExit(within: pause.interval())
            }
        }
    }

    // MARK: Stop

    private func stopLocked() async throws {
        guard let current = running else { return }
        running = nil
        guard let process = current.owned else {
            logger.debug("leaving the reused PostgreSQL running (another process started it)", metadata: ["pid": "\(current.endpoint.postmasterPID)"])
            return
        }
        let clock = ContinuousClock()
        let began = clock.now
        let pid = process.pid
        if let status = process.exitStatus {
            logger.warning("postgres had already exited", metadata: ["pid": "\(pid)", "status": "\(status)"])
            return
        }
        // shutdownSequence: SIGINT, after stopTimeout SIGQUIT, 10 s later SIGKILL.
        process.requestShutdown()
        if await process.waitForExit(within: configuration.stopTimeout) != nil {
            logger.info("PostgreSQL stopped", metadata: ["pid": "\(pid)", "ms": "\(Self.milliseconds(since: began))"])
            return
        }
        logger.warning("postgres ignored the fast-shutdown request; requesting an immediate shutdown", metadata: ["pid": "\(pid)"])
        let status = await process.waitForExit(within: .seconds(15))
        if let status, status != .signaled(SIGKILL) { return }
        throw LocalClusterError.stopTimedOut(pid: pid, seconds: Self.seconds(configuration.stopTimeout) + 10)
    }

    // MARK: Helpers

    /// What stopping a postmaster this instance started sends: a fast shutdown (SIGINT); after
    /// `stopTimeout` an immediate one (SIGQUIT); 10 s later Subprocess's final SIGKILL.
    private var shutdownSequence: [TeardownStep] {
        [
            .send(signal: .interrupt, allowedDurationToNextStep: configuration.stopTimeout),
            .send(signal: .quit, allowedDurationToNextStep: .seconds(10)),
        ]
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

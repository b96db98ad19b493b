// What a start of the managed cluster creates when it is missing: the cluster itself (initdb in a hidden
// sibling directory, renamed into place when complete), the socket directory, and the database.
// LocalCluster.swift says how the whole works.

import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LocalCluster {
    func initialise(dataDirectory: String, binaries: PGBinaries, account: PGSystemAccount?) async throws {
        let target = URL(fileURLWithPath: dataDirectory)
        let parent = target.deletingLastPathComponent().path
        let name = target.lastPathComponent
        let fm = FileManager.default

        if PGPaths.clusterVersion(dataDirectory) != nil { return }  // another process just created it
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) {
            let notACluster = LocalClusterError.unusableDirectory(
                path: dataDirectory, reason: "it exists but is not a PostgreSQL cluster (no PG_VERSION); move it away or empty it")
            guard isDirectory.boolValue else { throw notACluster }
            let contents: [String]
            do {
                contents = try fm.contentsOfDirectory(atPath: dataDirectory)
            } catch {
                throw LocalClusterError.unusableDirectory(path: dataDirectory, reason: "it cannot be listed: \(error.localizedDescription)")
            }
            guard contents.isEmpty else { throw notACluster }
        }
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw LocalClusterError.unusableDirectory(path: parent, reason: "\(error.localizedDescription)")
        }
        if let account { try PGPaths.checkReachable(dataDirectory, by: account) }
        PGPaths.removeAbandonedInitdbDirectories(parent: parent, name: name, logger: logger)

        let staging = "\(parent)/.\(name).initdb.\(getpid())"
        // One left by this process's own earlier attempt, if any (usually none: nothing to remove).
        // Should it stay, the mkdir below fails and says so.
        try? fm.removeItem(atPath: staging)
        guard mkdir(staging, 0o700) == 0 else { throw LocalClusterError.systemCallFailed(call: "mkdir \(staging)", errno: errno) }
        var keepStaging = false
        defer {
            if !keepStaging {
                do {
                    try fm.removeItem(atPath: staging)
                } catch {
                    logger.warning("could not remove initdb's staging directory; the next start removes it", metadata: [
                        "path": "\(staging)", "error": "\(error)",
                    ])
                }
            }
        }
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
    func prepareSocketDirectory(dataDirectory: String, account: PGSystemAccount?) throws -> String {
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
    func ensureDatabase(endpoint: LocalClusterEndpoint, binaries: PGBinaries) async throws {
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
}

// Paths, the server log and text helpers of the managed cluster.

import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum PGPaths {
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

    /// The major version in `<data>/PG_VERSION`, nil when there is no cluster. (An unreadable file
    /// reads as none too: initialising then refuses the directory, which is not empty, by name.)
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
    static func removeAbandonedInitdbDirectories(parent: String, name: String, logger: Logger) {
        let prefix = ".\(name).initdb."
        // `parent` was just created: a listing that fails here fails initdb's own steps next, loudly.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                do {
                    try FileManager.default.removeItem(atPath: parent + "/" + entry)
                } catch {
                    logger.warning("could not remove an abandoned initdb directory", metadata: [
                        "path": "\(parent)/\(entry)", "error": "\(error)",
                    ])
                }
            }
        }
    }
}

/// postgres's stdout/stderr: `<data>/server.log`, appended to, set aside as server.log.1 past 16 MiB.
final class PGServerLog {
    let fd: Int32

    init(path: String, account: PGSystemAccount?) throws {
        var info = stat()
        if stat(path, &info) == 0, info.st_size > 16 << 20 {
            rename(path, path + ".1")
        }
        // Read and write: the start-up error is read back (pread) for the error message.
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
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

func pgCloseDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #elseif canImport(Musl)
    _ = Musl.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

enum PGText {
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

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum PGPostmaster {
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
        // What /proc cannot tell (the process went meanwhile, say) is no evidence either way: the
        // next check decides.
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
        // A file that cannot be read (gone, or being rewritten) is not the one read: it stays.
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

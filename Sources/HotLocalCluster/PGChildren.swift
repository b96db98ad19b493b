// The managed cluster's child processes (initdb, postgres, psql), started and awaited by
// swift-subprocess. What it does for every child, which the cluster relies on:
// - no descriptor is inherited but stdin (/dev/null), stdout and stderr (close_range / closefrom in
//   the child), so a long-lived postgres never holds one of ours (Foundation's Process learns that
//   its children exited through an inherited socket: swift-corelibs-foundation issue 4795);
// - every signal disposition is reset to its default and the signal mask is emptied, whatever the
//   host installed;
// - postgres gets a process group of its own (Ctrl-C on the terminal reaches only hot-server,
//   which then stops the cluster itself);
// - as root, the child switches to the cluster's account (setgroups(0), setgid, setuid) before exec,
//   so the pid stays the postmaster's;
// - exits are learnt from a pidfd watched by Subprocess's one monitor thread (epoll), and each
//   child is reaped by its pid only, never `waitpid(-1)`: no polling, no cooperative thread blocked.

import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum PGExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    case unknown

    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(Int32(truncatingIfNeeded: code))
        case .signaled(let signal): self = .signaled(Int32(truncatingIfNeeded: signal))
        }
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .unknown: return "exit status unknown"
        }
    }
}

enum PGChildren {
    struct Result: Sendable {
        var status: PGExitStatus
        var stdout: String
        var stderr: String
        var succeeded: Bool { status == .exited(0) }
    }

    /// At most this much of a short-lived program's stdout and of its stderr is kept.
    static let outputLimit = 4 << 20

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

    /// How a child is started: in `/`, with `environment(account:)`, as `account` when given.
    static func configuration(
        _ executable: String, arguments: [String], account: PGSystemAccount?,
        newProcessGroup: Bool = false, teardown: [TeardownStep] = []
    ) -> Configuration {
        var options = PlatformOptions()
        var path = executable
        var argv = arguments
        if let account {
            // initdb and postgres refuse root: `setpriv` drops to the account and execs (the pid stays
            // the postmaster's). Not Subprocess's userID/groupID: those take its fork path, where
            // glibc's setgroups/setgid/setuid in the child of this multithreaded process can wait
            // forever for a thread that does not exist there (seen: a serve stuck in __nptl_setxid).
            path = account.setpriv
            argv = ["--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups", "--", executable] + arguments
        }
        if newProcessGroup { options.processGroupID = 0 }
        // Run when the task running the child is cancelled; Subprocess ends every sequence with SIGKILL.
        options.teardownSequence = teardown
        return Configuration(
            executable: .path(FilePath(path)),
            arguments: Arguments(argv),
            environment: .custom(environment(account: account).map { Array("\($0.key)=\($0.value)".utf8) }),
            workingDirectory: "/",
            platformOptions: options)
    }

    /// Runs a short-lived program to completion, capturing its output. Killed (SIGKILL) after
    /// `timeout`. Immune to the caller's cancellation, like the rest of start and stop.
    static func run(_ executable: String, arguments: [String], account: PGSystemAccount?, timeout: Duration) async throws -> Result {
        let configuration = configuration(executable, arguments: arguments, account: account)
        let name = URL(fileURLWithPath: executable).lastPathComponent
        return try await Task {
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    do {
                        let result = try await Subprocess.run(
                            configuration, input: .none, output: .string(limit: outputLimit), error: .string(limit: outputLimit))
                        return Result(
                            status: PGExitStatus(result.terminationStatus),
                            stdout: result.standardOutput, stderr: result.standardError)
                    } catch let error as SubprocessError where Task.isCancelled {
                        return Result(status: .unknown, stdout: "", stderr: "\(error)")
                    } catch {
                        throw LocalClusterError.spawnFailed(executable: executable, reason: "\(error)")
                    }
                }
                group.addTask {
                    // Cancelled once the program has finished (or with the caller, which must end
                    // the program too): either way the sleep is over, which is all it tells.
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                // The first to finish: the program (then the timer is cancelled), or the timer (then
                // the program is cancelled, which kills it, and awaited).
                let first = try await group.next()!
                group.cancelAll()
                if let first { return first }
                var killed = try await group.next()! ?? Result(status: .unknown, stdout: "", stderr: "")
                killed.stderr += "\n\(name) timed out and was killed"
                return killed
            }
        }.value
    }
}

/// A postmaster this process started. A task of its own runs it under Subprocess until it exits;
/// `exitStatus` and `waitForExit(within:)` tell when it has, without polling.
final class PGServerProcess: Sendable {
    let pid: pid_t
    private let monitor: Monitor
    private let task: Task<Void, Never>

    private init(pid: pid_t, monitor: Monitor, task: Task<Void, Never>) {
        self.pid = pid
        self.monitor = monitor
        self.task = task
    }

    /// Starts `executable` with stdout and stderr on `output` (a descriptor the caller keeps and closes),
    /// in a new process group. `shutdown` is what `requestShutdown()` sends, step by step, before
    /// Subprocess's final SIGKILL.
    static func spawn(
        _ executable: String, arguments: [String], account: PGSystemAccount?, output: Int32, shutdown: [TeardownStep]
    ) async throws -> PGServerProcess {
        let configuration = PGChildren.configuration(
            executable, arguments: arguments, account: account, newProcessGroup: true, teardown: shutdown)
        let monitor = Monitor()
        let log = FileDescriptor(rawValue: output)
        let task = Task {
            let status: PGExitStatus
            do {
                let result = try await Subprocess.run(
                    configuration, input: .none,
                    output: .fileDescriptor(log, closeAfterSpawningProcess: false),
                    error: .fileDescriptor(log, closeAfterSpawningProcess: false)
                ) { execution in
                    monitor.spawned(.success(execution.processIdentifier.value))
                }
                status = PGExitStatus(result.terminationStatus)
            } catch {
                monitor.spawned(.failure(LocalClusterError.spawnFailed(executable: executable, reason: "\(error)")))
                status = .unknown
            }
            monitor.exited(status)
        }
        let pid = try await monitor.pid()
        return PGServerProcess(pid: pid, monitor: monitor, task: task)
    }

    /// The exit status once the process has exited (and been reaped), nil while it runs.
    var exitStatus: PGExitStatus? { monitor.status }

    /// Waits up to `timeout` for the process to exit: its status, or nil if it still runs.
    /// Immune to task cancellation (start and stop run to their own deadlines).
    func waitForExit(within timeout: Duration) async -> PGExitStatus? {
        await monitor.waitForExit(within: timeout)
    }

    /// Starts the shutdown sequence given to `spawn` (race-free: Subprocess signals through the
    /// process's pidfd until it has reaped it). Returns at once.
    func requestShutdown() {
        task.cancel()
    }

    /// The spawn outcome and exit status of one process, and who waits for them.
    private final class Monitor: Sendable {
        private struct State {
            var spawned: Swift.Result<pid_t, any Error>?
            var spawnWaiter: CheckedContinuation<pid_t, any Error>?
            var status: PGExitStatus?
            var exitWaiters: [UInt64: CheckedContinuation<PGExitStatus?, Never>] = [:]
            var nextWaiter: UInt64 = 0
        }

        private let state = Mutex(State())

        var status: PGExitStatus? { state.withLock { $0.status } }

        /// Called once: with the pid when the program runs, or with the reason it could not start.
        func spawned(_ outcome: Swift.Result<pid_t, any Error>) {
            let waiter = state.withLock { state -> CheckedContinuation<pid_t, any Error>? in
                guard state.spawned == nil else { return nil }
                state.spawned = outcome
                defer { state.spawnWaiter = nil }
                return state.spawnWaiter
            }
            waiter?.resume(with: outcome)
        }

        func pid() async throws -> pid_t {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Swift.Result<pid_t, any Error>? in
                    if let spawned = state.spawned { return spawned }
                    state.spawnWaiter = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        }

        func exited(_ status: PGExitStatus) {
            let waiters = state.withLock { state -> [CheckedContinuation<PGExitStatus?, Never>] in
                state.status = status
                defer { state.exitWaiters = [:] }
                return Array(state.exitWaiters.values)
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }

        func waitForExit(within timeout: Duration) async -> PGExitStatus? {
            await withCheckedContinuation { continuation in
                let id = state.withLock { state -> UInt64? in
                    if state.status != nil { return nil }
                    let id = state.nextWaiter
                    state.nextWaiter += 1
                    state.exitWaiters[id] = continuation
                    return id
                }
                guard let id else { return continuation.resume(returning: state.withLock { $0.status }) }
                // Not a child of the caller's task: its cancellation must not cut the wait short.
                Task {
                    // Nothing cancels this task: the sleep ends at the timeout.
                    try? await Task.sleep(for: timeout)
                    let waiter = self.state.withLock { $0.exitWaiters.removeValue(forKey: id) }
                    waiter?.resume(returning: nil)
                }
            }
        }
    }
}

/// Polling intervals for what has no notification (a postmaster.pid another process writes):
/// 2 ms doubling up to 25 ms. Immune to task cancellation, so that start and stop always run to
/// their own deadlines.
struct PGPause {
    private var milliseconds = 2

    /// The next interval.
    mutating func interval() -> Duration {
        defer { milliseconds = min(milliseconds * 2, 25) }
        return .milliseconds(milliseconds)
    }

    mutating func next() async {
        await Self.sleep(interval())
    }

    static func sleep(_ duration: Duration) async {
        // An unstructured task does not inherit the caller's cancellation: nothing cancels it, so
        // the sleep never throws.
        await Task { try? await Task.sleep(for: duration) }.value
    }
}

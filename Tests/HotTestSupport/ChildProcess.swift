import Foundation
import Synchronization

/// Child processes for tests, waited for without blocking Swift's cooperative threads: a machine
/// with two cores has two of them, and a test blocked in `waitUntilExit()` or
/// `readDataToEndOfFile()` on one (while another does the same) stalls every other test, the
/// in-process server included. Pipes are read on threads of their own; the exit arrives through
/// `terminationHandler`.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` to its end (terminated after `timeout`) and returns what it printed.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String],
                           timeout: Duration = .seconds(60)) async throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let exit = Exit(process)
        try process.run()
        // A command that hangs fails the test instead of stalling the suite.
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        // Both pipes are read to the end before the exit is awaited, so a full pipe cannot stall the child.
        async let out = readToEnd(stdout)
        async let err = readToEnd(stderr)
        let (outData, errData) = await (out, err)
        let status = await exit.status()
        return Output(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Everything a pipe carries until its writers close it, read on a thread of its own.
    public static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }

    /// Lines of a pipe as they come, read on a thread of their own.
    public static func lines(of pipe: Pipe) -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...newline)
                    }
                }
                continuation.finish()
            }
        }
    }

    /// A process's exit, awaitable. Make it before `run()`: it sets the termination handler.
    public final class Exit: Sendable {
        private let exited = Gate()
        private let code = Mutex<Int32?>(nil)

        public init(_ process: Process) {
            process.terminationHandler = { process in self.finished(process.terminationStatus) }
        }

        private func finished(_ status: Int32) {
            code.withLock { $0 = status }
            exited.release()
        }

        /// The exit status, once the process has exited.
        public func status() async -> Int32 {
            await exited.wait()
            return code.withLock { $0 ?? -1 }
        }

        /// The exit status, or `Deadline.Exceeded` when it has not exited within `limit`.
        public func status(within limit: Duration) async throws -> Int32 {
            try await Deadline.within(limit, waitingFor: "a child process to exit") { await self.status() }
        }
    }
}

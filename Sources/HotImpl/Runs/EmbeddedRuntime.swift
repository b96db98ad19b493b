import Foundation
import HotRuntime
import HotWasm
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import Tracing

/// Executes runs whose build carries a WebAssembly module for their function, inside the process
/// (docs/handlers.md): the module's `_start` with `argv = [<var>]`, the environment `HOT_RUN_ID`,
/// `HOT_STREAM_ID`, `HOT_FN`, and stdin the JSON body the HTTP runtime would receive; its stdout is
/// that runtime's NDJSON, `data` lines published while the module still runs.
///
/// A run fails with `{"kind", "message", "stderr"}`: `exit`, `trap`, `fuel_exhausted`,
/// `memory_limit`, `timeout` or `output_limit`, with the last 4 KiB of stderr.
public struct EmbeddedRuntime: Sendable {
    let sandbox: WasmSandbox
    let database: Database
    let modules: ModuleCache
    let logger: Logger

    public init(sandbox: WasmSandbox, database: Database, logger: Logger, cachedModules: Int = 64) {
        self.sandbox = sandbox
        self.database = database
        self.modules = ModuleCache(capacity: cachedModules)
        self.logger = logger
    }

    /// Runs `request` with the module stored under `path` with its build.
    /// Traced as `wasm execute`, with the module's path.
    public func execute(_ request: RuntimeRequest, module path: String,
                        onData: @escaping @Sendable (RuntimeData) async -> Void) async -> RuntimeOutcome {
        await HotTracing.span("wasm execute") { span in
            span?.attributes["hot.module"] = path
            let outcome = await run(request, module: path, onData: onData)
            if case .failed = outcome { span?.setStatus(.init(code: .error)) }
            return outcome
        }
    }

    private func run(_ request: RuntimeRequest, module path: String,
                     onData: @escaping @Sendable (RuntimeData) async -> Void) async -> RuntimeOutcome {
        let runId = request.runId.lowercased
        let module: WasmModule
        do {
            module = try await load(buildId: request.buildId, path: path)
        } catch {
            logger.error("could not load a run's WebAssembly module", metadata: [
                "run_id": .string(runId), "module": .string(path), "error": "\(error)",
            ])
            return .failed(.string("the build's WebAssembly module \(path) could not be loaded"))
        }
        let stdin: [UInt8]
        do {
            stdin = [UInt8](try JSONCoding.encoder.encode(request))
        } catch {
            return .failed(.string("could not encode the run request as JSON"))
        }
        let invocation = WasmInvocation(
            arguments: [request.handler.var],
            environment: [("HOT_RUN_ID", runId), ("HOT_STREAM_ID", request.streamId.lowercased),
                          ("HOT_FN", "\(request.handler.ns)/\(request.handler.var)")],
            stdin: stdin)

        // Data lines travel from the guest's thread to this task, which publishes them in order.
        let (lines, continuation) = AsyncStream.makeStream(of: RuntimeData.self)
        let publisher = Task {
            for await data in lines { await onData(data) }
        }
        let report: WasmRunReport
        let output: RunOutput.Outcome
        do {
            (report, output) = try await sandbox.run(module, invocation) { RunOutput(data: continuation) }
        } catch {
            continuation.finish()
            await publisher.value
            return .failed(.string("the embedded runtime is shutting down"))
        }
        // Every data line is published before the run's outcome is recorded.
        await publisher.value
        let outcome = Self.outcome(report, output)
        var metadata: Logger.Metadata = [
            "run_id": .string(runId), "module": .string(path),
            "duration_ms": .stringConvertible(Int((report.duration / .milliseconds(1)).rounded())),
        ]
        if let requestId = request.callerRequestId { metadata["request_id"] = .string(requestId) }
        if let fuel = report.fuelUsed { metadata["fuel"] = .stringConvertible(fuel) }
        switch outcome {
        case .succeeded: metadata["outcome"] = "succeeded"
        case .failed(let error):
            metadata["outcome"] = "failed"
            if case .object(let fields) = error, let kind = fields["kind"]?.stringValue { metadata["kind"] = .string(kind) }
        }
        logger.debug("embedded run finished", metadata: metadata)
        return outcome
    }

    /// The run's outcome: its first `result` or `error` line; else why it has none.
    static func outcome(_ report: WasmRunReport, _ output: RunOutput.Outcome) -> RuntimeOutcome {
        switch (output, report.ending) {
        case (.decided(let outcome), _):
            return outcome
        case (_, .cancelled):
            return .failed(.string("run was cancelled"))
        case (.invalid(let reason), _):
            return failure("exit", reason, report)
        case (.undecided, .exited(let code)):
            return failure("exit", code == 0
                ? "the module exited without a result or error line"
                : "the module exited with status \(code) without a result or error line", report)
        case (.undecided, .failed(let kind, let message)):
            return failure(kind.rawValue, message, report)
        case (.undecided, .stopped):
            // The sink stops a guest only once it decided; kept total all the same.
            return failure("exit", "the module was stopped without a result or error line", report)
        }
    }

    private static func failure(_ kind: String, _ message: String, _ report: WasmRunReport) -> RuntimeOutcome {
        .failed(.object(["kind": .string(kind), "message": .string(message), "stderr": .string(report.stderr)]))
    }

    /// The module, parsed once per (build, path) and kept (bounded).
    func load(buildId: UUID, path: String) async throws -> WasmModule {
        let key = ModuleCache.Key(buildId: buildId, path: path)
        if let cached = modules[key] { return cached }
        let rows = try await database.query("""
            SELECT wasm FROM build_module WHERE build_id = \(buildId) AND path = \(path)
            """).all(ByteBuffer.self)
        guard let buffer = rows.first else { throw ModuleMissing(path: path) }
        let module = try await sandbox.parse(Array(buffer.readableBytesView))
        modules[key] = module
        return module
    }

    struct ModuleMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "no module \(path) is stored with the build" }
    }
}

/// Reads a run's stdout as the HTTP runtime's NDJSON, on the guest's thread: `data` lines go to
/// the publisher as they complete; the first `result` or `error` line (or a line that is neither)
/// decides, and stops the guest.
final class RunOutput: WasmStdoutSink {
    enum Outcome: Sendable {
        case decided(RuntimeOutcome)
        case invalid(String)
        case undecided
    }

    private var splitter = NDJSONLineSplitter(maxLineBytes: HTTPRuntime.defaultMaxLineBytes)
    private let data: AsyncStream<RuntimeData>.Continuation
    private var outcome: Outcome = .undecided
    private var lines = 0

    init(data: AsyncStream<RuntimeData>.Continuation) {
        self.data = data
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            for line in try splitter.append(bytes) where !handle(line) { return false }
        } catch {
            outcome = .invalid("the module wrote a stdout line longer than \(error.maxLineBytes) bytes")
            return false
        }
        return true
    }

    func finish() -> Outcome {
        if case .undecided = outcome {
            // A last line without its line break still counts.
            do {
                if let last = try splitter.finish() { _ = handle(last) }
            } catch {
                outcome = .invalid("the module wrote a stdout line longer than \(error.maxLineBytes) bytes")
            }
        }
        data.finish()
        return outcome
    }

    /// False once the line decided the run.
    private func handle(_ line: [UInt8]) -> Bool {
        lines += 1
        switch RuntimeLine.parse(line, writer: "the module wrote") {
        case .data(let value):
            data.yield(value)
            return true
        case .result(let result):
            outcome = .decided(.succeeded(result))
        case .error(let error):
            outcome = .decided(.failed(error))
        case .invalid(let reason):
            outcome = .invalid("stdout line \(lines): \(reason)")
        }
        return false
    }
}

/// Parsed modules by (build, path), the least recently used dropped past `capacity`.
final class ModuleCache: Sendable {
    struct Key: Hashable, Sendable {
        var buildId: UUID
        var path: String
    }

    private struct State {
        var modules: [Key: (module: WasmModule, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    subscript(key: Key) -> WasmModule? {
        get {
            state.withLock { state in
                guard let entry = state.modules[key] else { return nil }
                state.clock += 1
                state.modules[key] = (entry.module, state.clock)
                return entry.module
            }
        }
        set {
            state.withLock { state in
                state.clock += 1
                state.modules[key] = newValue.map { ($0, state.clock) }
                if state.modules.count > capacity, let oldest = state.modules.min(by: { $0.value.used < $1.value.used })?.key {
                    state.modules[oldest] = nil
                }
            }
        }
    }
}

// The store's memory limiter (`Store.resourceLimiter`) is SPI of WasmKit 0.4.2 (`Fuzzing`), and so is
// `Module.dropStartFunction`, which lets an upload be checked without running any of its code.
// Both are why the package pins WasmKit exactly.
@_spi(Fuzzing) import WasmKit
import NIOPosix
import WAT

/// Runs WebAssembly command modules (WASI preview 1) inside the process, under limits that hold
/// against hostile modules: fuel (instructions), linear memory, wall time, stdout size, a bounded
/// stderr, the interpreter's call stack; every guest pointer a host function receives is checked.
///
/// Guests run on a dedicated pool of threads, never on an event loop or the cooperative pool.
/// Each run gets a fresh store and instance; modules are parsed once and shared.
public final class WasmSandbox: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Instructions one run may execute (`HOT_WASM_FUEL`).
        public var fuel: UInt64
        /// The largest linear memory one run may grow (`HOT_WASM_MEMORY_MB`).
        public var memoryBytes: Int
        /// The longest one run may take (`HOT_RUNTIME_TIMEOUT`).
        public var timeout: Duration
        /// The most a run may write to stdout.
        public var maxStdoutBytes: Int
        /// How much of the end of stderr is kept.
        public var stderrTailBytes: Int

        public static let defaultFuel: UInt64 = 10_000_000_000
        public static let defaultMemoryBytes = 256 << 20

        public init(fuel: UInt64 = Limits.defaultFuel, memoryBytes: Int = Limits.defaultMemoryBytes, timeout: Duration = .seconds(300),
                    maxStdoutBytes: Int = 16 << 20, stderrTailBytes: Int = 4096) {
            self.fuel = fuel
            self.memoryBytes = memoryBytes
            self.timeout = timeout
            self.maxStdoutBytes = maxStdoutBytes
            self.stderrTailBytes = stderrTailBytes
        }
    }

    public let limits: Limits
    public let threads: Int
    /// Runs guests: lazy translation (a run translates only the functions it calls), fuel metered,
    /// software bounds checks (no 4 GiB reservation and no process-wide signal handler per memory).
    private let engine: Engine
    /// Checks uploads: translates every function body at instantiation, which validates it.
    private static let checkingEngine = Engine(configuration: EngineConfiguration(
        compilationMode: .eager, memoryBoundsChecking: .software, fuelMetering: true))
    private let pool: NIOThreadPool
    private let alive = RunCounter()

    /// Runs whose state still exists: those in flight. A run's state is freed when it ends.
    public var runsAlive: Int { alive.value }

    public init(threads: Int, limits: Limits = Limits()) {
        precondition(threads > 0, "a sandbox needs at least one thread")
        self.limits = limits
        self.threads = threads
        engine = Engine(configuration: EngineConfiguration(compilationMode: .lazy, memoryBoundsChecking: .software, fuelMetering: true))
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// The longest single sleep of a run's watchdog (see `run`).
    static let watchdogSlice = Duration.seconds(1)

    /// Stops the threads once the runs in flight have ended.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    // MARK: Modules

    /// WebAssembly text compiled to a binary module.
    public static func compile(wat text: String) throws(WasmModuleError) -> [UInt8] {
        do {
            return try wat2wasm(text)
        } catch {
            throw WasmModuleError("is not valid WebAssembly text: \(Self.oneLine(error))")
        }
    }

    /// Parses a stored module (it was checked when its build was uploaded).
    public static func load(_ bytes: [UInt8]) throws(WasmModuleError) -> WasmModule {
        do {
            return WasmModule(module: try parseWasm(bytes: bytes))
        } catch {
            throw WasmModuleError("does not parse as WebAssembly: \(Self.oneLine(error))")
        }
    }

    /// `load(_:)` on the sandbox's threads: parsing a large module takes a while.
    public func parse(_ bytes: [UInt8]) async throws -> WasmModule {
        try await pool.runIfActive { try Self.load(bytes) }
    }

    /// Checks that `bytes` is a module this sandbox runs: it parses; it imports nothing but WASI
    /// preview 1 functions (with their signatures); every function body validates; it exports
    /// `_start` taking and returning nothing; its initial memory fits the limit. Runs none of its
    /// code. Synchronous and CPU-bound: call it off the event loops.
    public func check(_ bytes: [UInt8]) throws(WasmModuleError) -> WasmModule {
        try Self.check(bytes, limits: limits)
    }

    /// `check(_:)` under `limits`, without a sandbox (an upload only checks).
    public static func check(_ bytes: [UInt8], limits: Limits) throws(WasmModuleError) -> WasmModule {
        let loaded = try load(bytes)
        for entry in loaded.module.imports {
            let what = "\(entry.module).\(entry.name)"
            guard entry.module == WasiPreview1.moduleName else {
                throw WasmModuleError("imports \(what); a handler may import only \(WasiPreview1.moduleName) functions")
            }
            guard case .function = entry.descriptor else {
                throw WasmModuleError("imports \(what) as a memory, table, global or tag; only functions can be imported")
            }
            guard WasiPreview1.functions[entry.name] != nil else {
                throw WasmModuleError("imports \(what), which is not a WASI preview 1 function")
            }
        }
        guard loaded.module.exports.contains(where: { export in
            if case .function = export.descriptor { export.name == "_start" } else { false }
        }) else {
            throw WasmModuleError("does not export a _start function (a WASI command module does)")
        }
        // Instantiating under the eager engine translates, and so validates, every function body.
        // Without its start function, none of the module's code runs.
        var unstarted = loaded.module
        unstarted.dropStartFunction()
        let store = Store(engine: Self.checkingEngine)
        store.resourceLimiter = WasmMemoryCap(bytes: limits.memoryBytes)
        let placeholder = WasiRun(WasmInvocation(arguments: [], environment: [], stdin: []), limits: limits,
                                  interrupt: WasmInterrupt(), stdout: DiscardingSink())
        let instance: Instance
        do {
            instance = try unstarted.instantiate(store: store, imports: WasiPreview1.imports(of: unstarted, store: store, run: placeholder))
        } catch let error as WasmMemoryLimitReached {
            throw WasmModuleError("needs more memory than a run may have: \(error.description)")
        } catch {
            throw WasmModuleError("does not validate: \(Self.oneLine(error))")
        }
        guard let start = instance.exports[function: "_start"], start.type.parameters.isEmpty, start.type.results.isEmpty else {
            throw WasmModuleError("exports a _start that takes or returns values; it must take and return nothing")
        }
        return loaded
    }

    // MARK: Runs

    /// Runs `module`'s `_start` with `invocation`, on the sandbox's threads, handing stdout to the sink
    /// `makeSink` makes there. Returns how the guest ended and what the sink made of its output.
    /// Throws only when the sandbox has been shut down.
    public func run<Sink: WasmStdoutSink>(
        _ module: WasmModule, _ invocation: WasmInvocation, stdout makeSink: @escaping @Sendable () -> Sink
    ) async throws -> (WasmRunReport, Sink.Outcome) {
        let interrupt = WasmInterrupt()
        let timeout = limits.timeout
        let watchdog = Task {
            // In slices of at most a second: a cancelled sleep keeps its timer (about 750 bytes)
            // until the time it was to end, so one sleep of the whole timeout kept that much for
            // 300 s after every run, 22 MB at 100 runs a second, gigabytes at thousands.
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                do { try await Task.sleep(for: min(deadline - ContinuousClock.now, Self.watchdogSlice)) } catch { return }
            }
            interrupt.fire(.timeout)
            // Repeated until the guest has ended (see FuelTarget): this task is cancelled then.
            while !Task.isCancelled {
                interrupt.takeFuel()
                do { try await Task.sleep(for: .milliseconds(1)) } catch { return }
            }
        }
        defer { watchdog.cancel() }
        let (engine, limits, alive) = (self.engine, self.limits, self.alive)
        return try await withTaskCancellationHandler {
            try await pool.runIfActive {
                Self.execute(module, invocation, engine: engine, limits: limits, interrupt: interrupt, alive: alive, sink: makeSink())
            }
        } onCancel: {
            interrupt.fire(.cancelled)
        }
    }

    /// One run, on the calling (pool) thread.
    private static func execute<Sink: WasmStdoutSink>(
        _ module: WasmModule, _ invocation: WasmInvocation, engine: Engine, limits: Limits, interrupt: WasmInterrupt,
        alive: RunCounter, sink: Sink
    ) -> (WasmRunReport, Sink.Outcome) {
        let started = ContinuousClock.now
        let run = WasiRun(invocation, limits: limits, interrupt: interrupt, stdout: sink, alive: alive)
        let store = Store(engine: engine)
        store.resourceLimiter = WasmMemoryCap(bytes: limits.memoryBytes)
        store.fuel = Fuel(remaining: limits.fuel)
        interrupt.attach(store)
        let ending: WasmRunReport.Ending
        do {
            try run.checkInterrupt()
            let instance = try module.module.instantiate(store: store, imports: WasiPreview1.imports(of: module.module, store: store, run: run))
            guard let start = instance.exports[function: "_start"] else {
                throw WasmHostTrap("the module exports no _start function")
            }
            _ = try start.invoke([])
            ending = .exited(0)
        } catch {
            ending = classify(error, interrupt: interrupt, limits: limits)
        }
        interrupt.detach()
        run.end()
        let fuelUsed = interrupt.reason == nil ? limits.fuel - (store.fuel?.remaining ?? limits.fuel) : nil
        let report = WasmRunReport(ending: ending, stderr: run.stderr, fuelUsed: fuelUsed, duration: ContinuousClock.now - started)
        return (report, sink.finish())
    }

    private static func classify(_ error: any Error, interrupt: WasmInterrupt, limits: Limits) -> WasmRunReport.Ending {
        // Whatever the guest was doing when the watchdog fired, the watchdog is why it stopped.
        if let reason = interrupt.reason {
            return reason == .timeout
                ? .failed(.timeout, "the run took longer than its \(describe(limits.timeout)) timeout")
                : .cancelled
        }
        switch error {
        case let exit as WasiExit:
            return .exited(Int32(bitPattern: exit.code))
        case is WasiStop:
            return .stopped
        case let limit as WasmOutputLimitReached:
            return .failed(.outputLimit, "the module wrote more than \(limit.limit) bytes to stdout")
        case let limit as WasmMemoryLimitReached:
            return .failed(.memoryLimit, limit.description)
        case let trap as WasmHostTrap:
            return .failed(.trap, trap.description)
        case let trap as Trap:
            // The reason of an out-of-fuel trap is not public; its description is.
            let text = oneLine(trap)
            if text.contains("out of fuel") {
                return .failed(.fuelExhausted, "the module executed more than its \(limits.fuel) instructions of fuel")
            }
            return .failed(.trap, text.hasPrefix("Trap: ") ? String(text.dropFirst(6)) : text)
        default:
            // Instantiation failures (a data segment outside memory, say) and anything else.
            return .failed(.trap, oneLine(error))
        }
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(Int((duration / .milliseconds(1)).rounded())) ms"
    }

    /// The first line of an error's description, without the backtrace WasmKit appends to traps.
    static func oneLine(_ error: any Error) -> String {
        let text = String(describing: error)
        return String(text.prefix { $0 != "\n" }.prefix(500))
    }
}

/// A parsed module, shareable between threads and runs.
public struct WasmModule: Sendable {
    let module: Module
}

/// What a run is given: `argv`, the environment and stdin.
public struct WasmInvocation: Sendable {
    public var arguments: [String]
    public var environment: [(name: String, value: String)]
    public var stdin: [UInt8]

    public init(arguments: [String], environment: [(name: String, value: String)], stdin: [UInt8]) {
        self.arguments = arguments
        self.environment = environment
        self.stdin = stdin
    }
}

/// How a run ended.
public struct WasmRunReport: Sendable {
    public enum Kind: String, Sendable {
        case exit, trap, timeout
        case fuelExhausted = "fuel_exhausted"
        case memoryLimit = "memory_limit"
        case outputLimit = "output_limit"
    }

    public enum Ending: Sendable, Equatable {
        /// `_start` returned (0) or the guest called `proc_exit`.
        case exited(Int32)
        /// The stdout sink had what it needed and stopped the guest.
        case stopped
        /// A limit, a trap, or the timeout ended it.
        case failed(Kind, String)
        /// The awaiting task was cancelled.
        case cancelled
    }

    public var ending: Ending
    /// The last bytes written to stderr (`Limits.stderrTailBytes`).
    public var stderr: String
    /// The fuel the run used; nil when it was interrupted.
    public var fuelUsed: UInt64?
    public var duration: Duration
}

/// Why a module cannot be run; the message completes "the module …".
public struct WasmModuleError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The sink of a check, which runs nothing.
private final class DiscardingSink: WasmStdoutSink {
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool { true }
    func finish() {}
}

import Synchronization
import WasmKit

/// Receives a guest's stdout as it is written, on the thread that runs the guest.
public protocol WasmStdoutSink: AnyObject, SendableMetatype {
    associatedtype Outcome: Sendable
    /// The next bytes of stdout. Returns false when the sink has what it needs (a run's outcome
    /// line, say): the guest is then stopped at once and the run ends as `.stopped`.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// What the sink made of the whole output; called once, after the guest ended.
    func finish() -> Outcome
}

/// One run's WASI state: its arguments, environment and stdio. Confined to the thread that runs
/// the guest (the host functions are called on it); only `interrupt` is shared.
final class WasiRun {
    let arguments: [[UInt8]]
    let environment: [[UInt8]]
    let interrupt: WasmInterrupt
    private let stdin: [UInt8]
    private var stdinOffset = 0
    private let stdout: any WasmStdoutSink
    private var stdoutBytes = 0
    private let maxStdoutBytes: Int
    private var stderrTail: [UInt8] = []
    private let stderrTailBytes: Int
    private var cachedMemory: Memory?

    /// Counts this run while it exists.
    private let alive: RunCounter?

    init(_ invocation: WasmInvocation, limits: WasmSandbox.Limits, interrupt: WasmInterrupt, stdout: any WasmStdoutSink,
         alive: RunCounter? = nil) {
        self.alive = alive
        alive?.add(1)
        arguments = invocation.arguments.map { Array($0.utf8) }
        environment = invocation.environment.map { Array("\($0.name)=\($0.value)".utf8) }
        stdin = invocation.stdin
        self.interrupt = interrupt
        self.stdout = stdout
        maxStdoutBytes = limits.maxStdoutBytes
        stderrTailBytes = limits.stderrTailBytes
    }

    /// The guest's exported `memory`, for the WASI function `function`.
    func memory(_ caller: borrowing Caller, _ function: String) throws(WasmHostTrap) -> GuestMemory {
        if let cachedMemory { return GuestMemory(memory: cachedMemory, function: function) }
        guard let memory = caller.instance?.exports[memory: "memory"] else {
            throw WasmHostTrap("\(function): the module exports no memory named \"memory\"")
        }
        cachedMemory = memory
        return GuestMemory(memory: memory, function: function)
    }

    deinit {
        alive?.add(-1)
    }

    /// Drops the memory kept for the host functions once the guest has ended. The memory holds its
    /// store's allocator, which holds the host functions, which hold this run: kept, the cycle would
    /// keep the whole store (its linear memory included) alive after every run.
    func end() {
        cachedMemory = nil
    }

    /// Ends the run at the next host call once the watchdog fired.
    func checkInterrupt() throws(WasmInterrupted) {
        if let reason = interrupt.reason { throw WasmInterrupted(reason: reason) }
    }

    /// Copies up to `count` further bytes of stdin to the guest; returns how many (0 at the end).
    func readStdin(into memory: GuestMemory, at pointer: UInt32, count: UInt32) throws(WasmHostTrap) -> UInt32 {
        let available = min(Int(count), stdin.count - stdinOffset)
        guard available > 0 else { return 0 }
        try memory.write(stdin[stdinOffset..<stdinOffset + available], at: pointer)
        stdinOffset += available
        return UInt32(available)
    }

    func writeStdout(_ bytes: UnsafeRawBufferPointer) throws {
        stdoutBytes += bytes.count
        guard stdoutBytes <= maxStdoutBytes else { throw WasmOutputLimitReached(limit: maxStdoutBytes) }
        guard stdout.write(bytes) else { throw WasiStop() }
    }

    /// Keeps the last `stderrTailBytes` bytes written to stderr.
    func writeStderr(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count >= stderrTailBytes {
            stderrTail = Array(bytes.suffix(stderrTailBytes))
            return
        }
        let overflow = stderrTail.count + bytes.count - stderrTailBytes
        if overflow > 0 { stderrTail.removeFirst(overflow) }
        stderrTail.append(contentsOf: bytes)
    }

    /// stderr's kept tail as text (bytes that are not UTF-8 become U+FFFD).
    var stderr: String { String(decoding: stderrTail, as: UTF8.self) }
}

/// How many runs' WASI states exist: a run whose state outlives it (a reference cycle through its
/// store) shows here.
final class RunCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The stdout sink has the run's outcome: the guest is stopped.
struct WasiStop: Error {}

/// stdout went past its limit.
struct WasmOutputLimitReached: Error {
    let limit: Int
}

/// Memory or a table was to grow past the run's limit.
struct WasmMemoryLimitReached: Error {
    let description: String
}

/// The watchdog stopped the run.
struct WasmInterrupted: Error {
    let reason: WasmInterrupt.Reason
}

/// Caps a store's linear memories at the run's limit and its tables at a million elements.
final class WasmMemoryCap: ResourceLimiter {
    let bytes: Int
    static let maxTableElements = 1 << 20

    init(bytes: Int) { self.bytes = bytes }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= bytes else {
            throw WasmMemoryLimitReached(description: "linear memory would grow to \(desired) bytes, past the limit of \(bytes) bytes")
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        guard desired <= Self.maxTableElements else {
            throw WasmMemoryLimitReached(description: "a table would grow to \(desired) elements, past the limit of \(Self.maxTableElements)")
        }
        return true
    }
}

/// Stops a guest from another thread: at its next host call (the flag) or its next fuel charge
/// (its store's fuel set to zero).
///
/// WasmKit 0.4.2 has no interrupt of its own: fuel is the only way to stop a guest that calls no
/// host function, and fuel belongs to the store, which the guest's thread owns. So the watchdog
/// writes the store's fuel from its own thread, and repeats the write until the guest ends.
final class WasmInterrupt: Sendable {
    enum Reason: UInt8 {
        /// The run took longer than its timeout.
        case timeout = 1
        /// The task awaiting the run was cancelled (the worker is stopping).
        case cancelled = 2
    }

    private let flag = Atomic<UInt8>(0)
    private let target = Mutex<FuelTarget?>(nil)

    var reason: Reason? { Reason(rawValue: flag.load(ordering: .acquiring)) }

    /// Makes `store` the one to stop; the guest's thread calls it before running any guest code.
    func attach(_ store: Store) {
        let fuelTarget = FuelTarget(store: store)
        target.withLock { $0 = fuelTarget }
    }

    /// The guest ended: the store is no longer touched from outside.
    func detach() {
        target.withLock { $0 = nil }
    }

    /// Records why the run stops (the first reason wins) and takes the guest's fuel.
    func fire(_ reason: Reason) {
        _ = flag.compareExchange(expected: 0, desired: reason.rawValue, ordering: .acquiringAndReleasing)
        takeFuel()
    }

    /// Sets the attached store's fuel to zero, when a store is attached.
    func takeFuel() {
        target.withLock { $0?.store.fuel = Fuel(remaining: 0) }
    }
}

/// The store whose fuel `WasmInterrupt` takes.
///
/// `@unchecked Sendable`, and the one place where two threads touch a store: the watchdog assigns
/// `store.fuel` while the guest's thread may be charging it. Why that is acceptable:
/// - the assignment writes two plain words of the store (a flag and the aligned 64-bit fuel
///   counter); it allocates nothing, frees nothing and changes no reference, so the race cannot
///   corrupt memory: at worst the interpreter's own read-modify-write of the counter overwrites
///   the zero;
/// - the watchdog therefore repeats the write every millisecond until the guest has ended
///   (`detach`, under the same lock, ends that), and a guest that has been given zero fuel traps at
///   its next charge, at the latest at its next loop back-edge or call;
/// - nothing else of the store is touched off its thread.
final class FuelTarget: @unchecked Sendable {
    let store: Store
    init(store: Store) { self.store = store }
}

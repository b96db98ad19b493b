import HotTestSupport
import HotWasm
import Synchronization
import Testing

/// Collects stdout; stops the guest once it has seen `stopAfter` bytes, when set.
final class CollectingSink: WasmStdoutSink {
    var bytes: [UInt8] = []
    let stopAfter: Int?
    init(stopAfter: Int? = nil) { self.stopAfter = stopAfter }
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        bytes.append(contentsOf: chunk)
        return stopAfter.map { bytes.count < $0 } ?? true
    }
    func finish() -> String { String(decoding: bytes, as: UTF8.self) }
}

/// WebAssembly text of a command module (see WatHandler.command).
func command(imports: String = "", memory: String = #"(memory (export "memory") 1)"#, data: String = "", body: String,
             extra: String = "") -> String {
    WatHandler.command(imports: imports, memory: memory, data: data, body: body, extra: extra)
}

func module(_ sandbox: WasmSandbox, _ text: String) throws -> WasmModule {
    try sandbox.check(WasmSandbox.compile(wat: text))
}

func run(_ sandbox: WasmSandbox, _ text: String, arguments: [String] = ["main"], environment: [(name: String, value: String)] = [],
         stdin: String = "", stopAfter: Int? = nil) async throws -> (WasmRunReport, String) {
    let loaded = try module(sandbox, text)
    return try await sandbox.run(loaded, WasmInvocation(arguments: arguments, environment: environment, stdin: Array(stdin.utf8))) {
        CollectingSink(stopAfter: stopAfter)
    }
}

@Suite("WasmSandbox")
struct WasmSandboxTests {
    let sandbox = WasmSandbox(threads: 2, limits: .init(fuel: 5_000_000, memoryBytes: 4 << 20, timeout: .seconds(20),
                                                       maxStdoutBytes: 1 << 16, stderrTailBytes: 64))

    static let hello = command(data: #"(data (i32.const 100) "hello\n")"#, body: "(call $write (i32.const 1) (i32.const 100) (i32.const 6))")

    @Test("stdout reaches the sink; returning from _start is exit 0")
    func hello() async throws {
        let (report, output) = try await run(sandbox, Self.hello)
        #expect(report.ending == .exited(0))
        #expect(output == "hello\n")
        #expect((report.fuelUsed ?? 0) > 0)
    }

    @Test("argv and the environment are what the invocation says")
    func argumentsAndEnvironment() async throws {
        let text = command(imports: """
            (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
            """, body: """
            ;; argv: count at 16, size at 20, pointers at 32, strings at 256; echo the size's worth
            (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
            (drop (call $args_get (i32.const 32) (i32.const 256)))
            (call $write (i32.const 1) (i32.const 256) (i32.load (i32.const 20)))
            ;; environ: count at 16, size at 20, pointers at 64, strings at 1024
            (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
            (drop (call $environ_get (i32.const 64) (i32.const 1024)))
            (call $write (i32.const 1) (i32.const 1024) (i32.load (i32.const 20)))
            """)
        let (report, output) = try await run(sandbox, text, arguments: ["on-order"],
                                             environment: [("HOT_RUN_ID", "r1"), ("HOT_FN", "::shop::orders/on-order")])
        #expect(report.ending == .exited(0))
        #expect(output == "on-order\0HOT_RUN_ID=r1\0HOT_FN=::shop::orders/on-order\0")
    }

    @Test("stdin is read to its end, in pieces")
    func stdin() async throws {
        // Reads 7 bytes at a time into 512.., echoes each piece, until fd_read says 0.
        let text = command(body: """
            (local $n i32)
            (loop $more
              (i32.store (i32.const 16) (i32.const 512))
              (i32.store (i32.const 20) (i32.const 7))
              (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
              (local.set $n (i32.load (i32.const 24)))
              (if (i32.gt_u (local.get $n) (i32.const 0))
                (then (call $write (i32.const 1) (i32.const 512) (local.get $n)) (br $more))))
            """)
        let input = #"{"run_id":"x","event":{"event_data":[1,2,3]}}"#
        let (report, output) = try await run(sandbox, text, stdin: input)
        #expect(report.ending == .exited(0))
        #expect(output == input)
    }

    @Test("proc_exit ends the run with its status; stderr keeps only its tail")
    func exitAndStderr() async throws {
        let text = command(data: #"(data (i32.const 100) "0123456789abcdef")"#, body: """
            (local $i i32)
            (loop $again
              (call $write (i32.const 2) (i32.const 100) (i32.const 16))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const 10))))
            (call $write (i32.const 2) (i32.const 100) (i32.const 3))
            (call $proc_exit (i32.const 3))
            """)
        let (report, _) = try await run(sandbox, text)
        #expect(report.ending == .exited(3))
        #expect(report.stderr.utf8.count == 64)
        #expect(report.stderr.hasSuffix("cdef012"))
    }

    @Test("a loop without end runs out of fuel")
    func fuel() async throws {
        let (report, _) = try await run(sandbox, command(body: "(loop $forever (br $forever))"))
        guard case .failed(.fuelExhausted, let message) = report.ending else { Issue.record("\(report.ending)"); return }
        #expect(message.contains("5000000"))
    }

    @Test("a run past its timeout is stopped and gives its thread back")
    func timeout() async throws {
        let sandbox = WasmSandbox(threads: 1, limits: .init(fuel: .max, memoryBytes: 4 << 20, timeout: .milliseconds(300)))
        let (report, _) = try await run(sandbox, command(body: "(loop $forever (br $forever))"))
        guard case .failed(.timeout, let message) = report.ending else { Issue.record("\(report.ending)"); return }
        #expect(message.contains("300 ms"))
        #expect(report.fuelUsed == nil)
        // The one thread is free again: a second run on it finishes.
        let (second, output) = try await run(sandbox, Self.hello)
        #expect(second.ending == .exited(0))
        #expect(output == "hello\n")
        try await sandbox.shutdown()
    }

    @Test("a guest sleeping in poll_oneoff is stopped at its timeout too")
    func timeoutWhileSleeping() async throws {
        let sandbox = WasmSandbox(threads: 1, limits: .init(fuel: .max, memoryBytes: 4 << 20, timeout: .milliseconds(200)))
        // One relative clock subscription of an hour at 64: userdata 0, tag 0, clock 1, timeout 3600 s.
        let text = command(imports: """
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            """, body: """
            (i32.store (i32.const 80) (i32.const 1))
            (i64.store (i32.const 88) (i64.const 3600000000000))
            (drop (call $poll (i32.const 64) (i32.const 256) (i32.const 1) (i32.const 16)))
            """)
        let (report, _) = try await run(sandbox, text)
        guard case .failed(.timeout, _) = report.ending else { Issue.record("\(report.ending)"); return }
        try await sandbox.shutdown()
    }

    @Test("poll_oneoff sleeps for a short relative timeout and reports the clock event")
    func sleep() async throws {
        let text = command(imports: """
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            """, data: #"(data (i32.const 100) "woke\n")"#, body: """
            (i64.store (i32.const 64) (i64.const 42))
            (i32.store (i32.const 80) (i32.const 1))
            (i64.store (i32.const 88) (i64.const 5000000))
            (drop (call $poll (i32.const 64) (i32.const 256) (i32.const 1) (i32.const 16)))
            (if (i32.and (i32.eq (i32.load (i32.const 16)) (i32.const 1)) (i64.eq (i64.load (i32.const 256)) (i64.const 42)))
              (then (call $write (i32.const 1) (i32.const 100) (i32.const 5))))
            """)
        let (report, output) = try await run(sandbox, text)
        #expect(report.ending == .exited(0))
        #expect(output == "woke\n")
        #expect(report.duration >= .milliseconds(5))
    }

    @Test("growing memory past the limit fails the run with memory_limit")
    func memoryGrow() async throws {
        let (report, _) = try await run(sandbox, command(body: "(drop (memory.grow (i32.const 1000)))"))
        guard case .failed(.memoryLimit, let message) = report.ending else { Issue.record("\(report.ending)"); return }
        #expect(message.contains("\(4 << 20)"))
    }

    @Test("a module whose initial memory is past the limit is refused when checked")
    func initialMemory() throws {
        #expect(throws: WasmModuleError.self) {
            try module(sandbox, command(memory: "(memory (export \"memory\") 1000)", body: ""))
        }
    }

    @Test("guest pointers outside memory in fd_write's iovecs are the guest's trap, and the sandbox goes on")
    func outOfBoundsPointers() async throws {
        // An iovec array past the end, then an iovec whose buffer runs past the end, then nwritten past the end.
        let bodies = [
            "(drop (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 8)))",
            "(i32.store (i32.const 0) (i32.const 65000)) (i32.store (i32.const 4) (i32.const 4096)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
            "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 536870912) (i32.const 8)))",
            "(i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 1)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const -1)))",
            "(drop (call $fd_read (i32.const 0) (i32.const -8) (i32.const 2) (i32.const 8)))",
        ]
        for body in bodies {
            let (report, _) = try await run(sandbox, command(body: body), stdin: "abc")
            guard case .failed(.trap, let message) = report.ending else { Issue.record("\(body): \(report.ending)"); continue }
            #expect(message.contains("fd_write") || message.contains("fd_read"), "\(message)")
        }
        let (report, output) = try await run(sandbox, Self.hello)
        #expect(report.ending == .exited(0) && output == "hello\n")
    }

    @Test("every WASI function that writes through a guest pointer traps on one outside memory", arguments: [
        ("args_sizes_get", "(param i32 i32) (result i32)", "(i32.const -16) (i32.const 0)"),
        ("args_get", "(param i32 i32) (result i32)", "(i32.const 0) (i32.const 65535)"),
        ("environ_sizes_get", "(param i32 i32) (result i32)", "(i32.const 0) (i32.const 65534)"),
        ("environ_get", "(param i32 i32) (result i32)", "(i32.const 65533) (i32.const 0)"),
        ("clock_time_get", "(param i32 i64 i32) (result i32)", "(i32.const 1) (i64.const 1) (i32.const 65532)"),
        ("clock_res_get", "(param i32 i32) (result i32)", "(i32.const 0) (i32.const -1)"),
        ("random_get", "(param i32 i32) (result i32)", "(i32.const 65000) (i32.const 1000)"),
        ("fd_fdstat_get", "(param i32 i32) (result i32)", "(i32.const 1) (i32.const 65530)"),
        ("fd_filestat_get", "(param i32 i32) (result i32)", "(i32.const 2) (i32.const 65500)"),
        ("poll_oneoff", "(param i32 i32 i32 i32) (result i32)", "(i32.const 65500) (i32.const 0) (i32.const 1) (i32.const 16)"),
        ("poll_oneoff", "(param i32 i32 i32 i32) (result i32)", "(i32.const 0) (i32.const 0) (i32.const 100000000) (i32.const 16)"),
    ])
    func everyPointerChecked(_ name: String, _ signature: String, _ arguments: String) async throws {
        // The environment is not empty, so environ_get has something to write.
        let text = command(imports: #"(import "wasi_snapshot_preview1" "\#(name)" (func $f \#(signature)))"#,
                           body: "(drop (call $f \(arguments)))")
        let (report, _) = try await run(sandbox, text, environment: [("A", "1")])
        guard case .failed(.trap, let message) = report.ending else { Issue.record("\(name): \(report.ending)"); return }
        #expect(message.contains(name), "\(message)")
    }

    @Test("unbounded recursion traps instead of exhausting the thread's stack")
    func recursion() async throws {
        let text = command(body: "(call $down)", extra: "(func $down (call $down))")
        let (report, _) = try await run(sandbox, text)
        guard case .failed(.trap, let message) = report.ending else { Issue.record("\(report.ending)"); return }
        #expect(message.contains("call stack exhausted"))
    }

    @Test("stdout past its limit fails the run with output_limit")
    func outputLimit() async throws {
        let text = command(body: "(loop $again (call $write (i32.const 1) (i32.const 0) (i32.const 4096)) (br $again))")
        let (report, output) = try await run(sandbox, text)
        guard case .failed(.outputLimit, _) = report.ending else { Issue.record("\(report.ending)"); return }
        #expect(output.utf8.count <= 1 << 16)
    }

    @Test("a sink that has what it needs stops the guest at once")
    func stop() async throws {
        let text = command(data: #"(data (i32.const 100) "done\n")"#,
                           body: "(call $write (i32.const 1) (i32.const 100) (i32.const 5)) (loop $forever (br $forever))")
        let (report, output) = try await run(sandbox, text, stopAfter: 5)
        #expect(report.ending == .stopped)
        #expect(output == "done\n")
    }

    @Test("clocks and random bytes are real")
    func clocksAndRandom() async throws {
        let text = command(imports: """
            (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
            (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
            """, body: """
            (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 200)))
            (drop (call $random (i32.const 208) (i32.const 32)))
            (call $write (i32.const 1) (i32.const 200) (i32.const 40))
            """)
        let loaded = try module(sandbox, text)
        let (report, raw) = try await sandbox.run(loaded, WasmInvocation(arguments: [], environment: [], stdin: [])) { RawSink() }
        #expect(report.ending == .exited(0))
        let nanoseconds = raw.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // Some time after 2020 and before 2100.
        #expect(nanoseconds > 1_577_836_800_000_000_000 && nanoseconds < 4_102_444_800_000_000_000)
        #expect(raw.count == 40 && Set(raw.suffix(32)).count > 8)
    }

    @Test("a run's state is freed when it ends, whichever way it ends (no cycle through its store keeps it)")
    func runsAreFreed() async throws {
        let sandbox = WasmSandbox(threads: 2, limits: .init(fuel: 1_000_000, memoryBytes: 4 << 20, timeout: .seconds(20)))
        let modules = [Self.hello, command(body: "unreachable"), command(body: "(loop $forever (br $forever))"),
                       command(data: #"(data (i32.const 100) "x\n")"#, body: "(call $write (i32.const 1) (i32.const 100) (i32.const 2))")]
        for text in modules {
            for _ in 0..<5 {
                let (report, _) = try await run(sandbox, text, stopAfter: text == modules[3] ? 1 : nil)
                #expect(report.ending != .cancelled)
            }
        }
        #expect(sandbox.runsAlive == 0)
        try await sandbox.shutdown()
    }

    @Test("200 concurrent runs of a trivial module all succeed")
    func concurrent() async throws {
        let loaded = try module(sandbox, Self.hello)
        let outputs = try await withThrowingTaskGroup(of: (WasmRunReport, String).self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await sandbox.run(loaded, WasmInvocation(arguments: ["main"], environment: [], stdin: [])) { CollectingSink() }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outputs.count == 200)
        #expect(outputs.allSatisfy { $0.0.ending == .exited(0) && $0.1 == "hello\n" })
    }

    @Test("checks refuse what the sandbox cannot run, naming why")
    func refusals() throws {
        let cases: [(String, String)] = [
            (#"(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))"#, "imports env.f"),
            (#"(module (import "wasi_snapshot_preview1" "path_open2" (func)) (func (export "_start")))"#, "not a WASI preview 1 function"),
            (#"(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))"#, "only functions"),
            (#"(module (memory (export "memory") 1) (func (export "main")))"#, "_start"),
            (#"(module (func (export "_start") (param i32)))"#, "take and return nothing"),
            (#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (func (export "_start")))"#, "does not validate"),
        ]
        for (text, expected) in cases {
            do {
                _ = try module(sandbox, text)
                Issue.record("accepted: \(text)")
            } catch let error as WasmModuleError {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
        #expect(throws: WasmModuleError.self) { try sandbox.check([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]) }
        #expect(throws: WasmModuleError.self) { try WasmSandbox.compile(wat: "(module (func (export \"_start\")") }
        // The text compiler does not type-check; the check does.
        let untyped = try WasmSandbox.compile(wat: "(module (func (export \"_start\") (i32.add)))")
        do {
            _ = try sandbox.check(untyped)
            Issue.record("accepted a body that pops from an empty stack")
        } catch {
            #expect(error.message.contains("does not validate"), "\(error.message)")
        }
    }

    @Test("a function body that does not validate is refused even when nothing calls it")
    func eagerValidation() throws {
        // (module (func (export "_start")) (func (result i32) i64.const 0)): the second body returns
        // an i64 where its type says i32. Built by hand: text tools refuse to write it.
        let bytes: [UInt8] = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7f, // types: () -> (), () -> i32
            0x03, 0x03, 0x02, 0x00, 0x01, // functions: type 0, type 1
            0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start" func 0
            0x0a, 0x09, 0x02, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x42, 0x00, 0x0b, // code: {end}, {i64.const 0 end}
        ]
        do {
            _ = try sandbox.check(bytes)
            Issue.record("accepted a module with an invalid function body")
        } catch {
            #expect(error.message.contains("validate") || error.message.contains("parse"), "\(error.message)")
        }
    }
}

final class RawSink: WasmStdoutSink {
    var bytes: [UInt8] = []
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool { bytes.append(contentsOf: chunk); return true }
    func finish() -> [UInt8] { bytes }
}

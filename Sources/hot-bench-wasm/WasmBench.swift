// What the embedded runtime itself costs, through `WasmSandbox` as the server uses it (a fresh store,
// instance and WASI state per run; modules parsed and checked once):
//   (a) a trivial module (bench/wasm/trivial.wat): per-run time, median and p99, awaited from a task
//       and inside the sandbox's thread; runs/s on 1 and on 2 threads;
//   (b) a CPU-bound module (bench/wasm/cpu.wat, 10^8 i64 additions): time per run;
//   (c) memory: RSS (all, and anonymous) while LIVE runs of bench/wasm/sleep.wat sleep in poll_oneoff
//       at once, against the same process idle.
// scripts/bench-wasm runs it and the same modules under wasmtime, and prints the ratios.
//   hot-bench-wasm [directory of the .wat files, default bench/wasm]
//   RUNS=5000 CPU_RUNS=3 LIVE=200 hot-bench-wasm
// The last line is the figures as JSON, for scripts/bench-wasm.
import Foundation
import HotWasm
import Synchronization

/// stdout of a run as the server reads it: the first line decides, and the guest is stopped there.
final class FirstLine: WasmStdoutSink {
    private var bytes: [UInt8] = []

    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        bytes.append(contentsOf: chunk)
        return !bytes.contains(UInt8(ascii: "\n"))
    }

    func finish() -> String {
        String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }
}

@main
enum WasmBench {
    static let environment = ProcessInfo.processInfo.environment

    static func setting(_ name: String, _ fallback: Int) -> Int {
        environment[name].flatMap(Int.init) ?? fallback
    }

    /// What a run of an event handler is given: its function's name, the three variables, and a
    /// run request of the size the server sends for a small event (the modules do not read it).
    static let invocation = WasmInvocation(
        arguments: ["on-event"],
        environment: [("HOT_RUN_ID", "0193a5c4-0000-7000-8000-000000000001"), ("HOT_STREAM_ID", "0193a5c4-0000-7000-8000-000000000002"),
                      ("HOT_FN", "::benchwasm/on-event")],
        stdin: Array(String(repeating: "x", count: 600).utf8))

    static func main() async throws {
        let directory = CommandLine.arguments.dropFirst().first ?? "bench/wasm"
        let runs = setting("RUNS", 5000)
        let cpuRuns = setting("CPU_RUNS", 3)
        let live = setting("LIVE", 200)
        var figures: [String: Double] = [:]

        let trivial = try module(directory, "trivial")
        let cpu = try module(directory, "cpu")
        let sleep = try module(directory, "sleep")

        // (a) The trivial module, one run at a time on one thread.
        let atStart = memory()
        let one = WasmSandbox(threads: 1)
        let checkStart = ContinuousClock.now
        let checked = try one.check(trivial)
        let checkTime = ContinuousClock.now - checkStart
        let expected = #"{"type":"result","result":null}"#
        for _ in 0..<200 {   // warm-up: allocator, caches, the thread
            let (_, line) = try await one.run(checked, invocation) { FirstLine() }
            guard line == expected else { fail("the trivial module wrote \(line)") }
        }
        var awaited: [Double] = []
        var inside: [Double] = []
        awaited.reserveCapacity(runs)
        inside.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let (report, _) = try await one.run(checked, invocation) { FirstLine() }
            awaited.append(micros(ContinuousClock.now - start))
            inside.append(micros(report.duration))
        }
        print("check (parse + validate + compile eagerly), once   \(format(micros(checkTime))) µs")
        print("trivial run, awaited from a task   median \(format(percentile(awaited, 0.5))) µs   p99 \(format(percentile(awaited, 0.99))) µs   (\(runs) runs, one at a time)")
        print("trivial run, inside its thread     median \(format(percentile(inside, 0.5))) µs   p99 \(format(percentile(inside, 0.99))) µs   (store + instance + WASI + _start)")
        figures["trivial_median_us"] = percentile(awaited, 0.5)
        figures["trivial_p99_us"] = percentile(awaited, 0.99)
        figures["trivial_inside_median_us"] = percentile(inside, 0.5)
        figures["trivial_inside_p99_us"] = percentile(inside, 0.99)
        try await one.shutdown()

        for threads in [1, 2] {
            let sandbox = WasmSandbox(threads: threads)
            let rate = try await throughput(sandbox, checked, runs: runs, inFlight: 4 * threads)
            try await sandbox.shutdown()
            print("trivial runs/s on \(threads) thread\(threads == 1 ? " " : "s")     \(format(rate)) runs/s   (\(runs) runs, \(4 * threads) in flight)")
            figures["trivial_runs_per_s_\(threads)"] = rate
        }

        // What the runs left behind: a run that ended holds nothing.
        let afterTrivial = memory()
        let trivialRuns = 200 + 3 * runs
        let left = Double(afterTrivial.rss - atStart.rss) / Double(trivialRuns)
        print("RSS after \(trivialRuns) trivial runs    \(kib(atStart.rss)) → \(kib(afterTrivial.rss)) KiB: \(format(left / 1024, digits: 2)) KiB a run left behind")
        figures["rss_left_kib_per_run"] = left / 1024

        // (b) The CPU-bound module.
        let single = WasmSandbox(threads: 1)
        let cpuModule = try single.check(cpu)
        var seconds: [Double] = []
        var fuel: UInt64 = 0
        for _ in 0..<cpuRuns {
            let (report, line) = try await single.run(cpuModule, invocation) { FirstLine() }
            guard line == #"{"type":"result","result":4999999950000000}"# else { fail("the CPU-bound module wrote \(line): \(report.ending)") }
            seconds.append(micros(report.duration) / 1e6)
            fuel = report.fuelUsed ?? 0
        }
        try await single.shutdown()
        let cpuMedian = percentile(seconds, 0.5)
        print("10^8 i64 additions                 median \(format(cpuMedian, digits: 3)) s   (\(seconds.map { format($0, digits: 3) }.joined(separator: ", ")) s; \(fuel) fuel, \(format(Double(fuel) / cpuMedian / 1e9, digits: 2))×10^9 a second)")
        figures["cpu_s"] = cpuMedian

        // (c) Memory of live runs: LIVE runs sleeping in poll_oneoff at once, on as many threads.
        let wide = WasmSandbox(threads: live)
        let sleeper = try wide.check(sleep)
        let fresh = memory()
        let (first, firstIdle) = try await liveRound(wide, sleeper, count: live)
        let (second, secondIdle) = try await liveRound(wide, sleeper, count: live)
        try await wide.shutdown()
        let perRunFresh = Double(first.rss - fresh.rss) / Double(live)
        let perRun = Double(second.rss - firstIdle.rss) / Double(live)
        let anonymousPerRun = Double(second.anonymous - firstIdle.anonymous) / Double(live)
        print("live runs, first round             RSS \(kib(fresh.rss)) → \(kib(first.rss)) KiB while \(live) sleep: \(format(perRunFresh / 1024, digits: 1)) KiB a run (thread stacks and malloc arenas first touched)")
        print("live runs, second round            RSS \(kib(firstIdle.rss)) → \(kib(second.rss)) → \(kib(secondIdle.rss)) KiB: \(format(perRun / 1024, digits: 1)) KiB a run (anonymous: \(format(anonymousPerRun / 1024, digits: 1)) KiB)")
        figures["live_rss_kib_first"] = perRunFresh / 1024
        figures["live_rss_kib"] = perRun / 1024
        figures["live_anon_kib"] = anonymousPerRun / 1024

        let json = figures.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(format($0.value, digits: 3))" }.joined(separator: ", ")
        print("json {\(json)}")
    }

    // MARK: Pieces

    static func module(_ directory: String, _ name: String) throws -> [UInt8] {
        let path = "\(directory)/\(name).wat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
        return try WasmSandbox.compile(wat: text)
    }

    /// Runs/s with `inFlight` runs awaited at once.
    static func throughput(_ sandbox: WasmSandbox, _ module: WasmModule, runs: Int, inFlight: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<inFlight {
                group.addTask {
                    for _ in stride(from: lane, to: runs, by: inFlight) {
                        _ = try await sandbox.run(module, invocation) { FirstLine() }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(runs) / ((ContinuousClock.now - start) / .seconds(1))
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    struct Memory {
        var rss: Int
        var anonymous: Int
    }

    /// Starts `count` sleeping runs; once every one has started and had time to reach its sleep,
    /// reads the memory; then again after they all ended.
    static func liveRound(_ sandbox: WasmSandbox, _ module: WasmModule, count: Int) async throws -> (during: Memory, after: Memory) {
        let started = Counter()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let (report, line) = try await sandbox.run(module, invocation) {
                        started.value.add(1, ordering: .relaxed)
                        return FirstLine()
                    }
                    guard line == #"{"type":"result","result":null}"# else { fail("the sleeping module wrote \(line): \(report.ending)") }
                }
            }
            let deadline = ContinuousClock.now + .seconds(1)
            while started.value.load(ordering: .relaxed) < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            guard started.value.load(ordering: .relaxed) == count else { fail("only \(started.value.load(ordering: .relaxed)) of \(count) runs started within 1 s") }
            try await Task.sleep(for: .milliseconds(200))   // each is in poll_oneoff by now (it sleeps 1.5 s)
            let during = memory()
            try await group.waitForAll()
            return (during, memory())
        }
    }

    /// The process's resident memory, all of it and its anonymous part (heap, stacks, the guests'
    /// memories; not the mapped binary and libraries), from /proc/self/status.
    static func memory() -> Memory {
        var fields: [Substring: Int] = [:]
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("RssAnon:") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if parts.count >= 2, let kib = Int(parts[1]) { fields[parts[0]] = kib * 1024 }
            }
        }
        return Memory(rss: fields["VmRSS:"] ?? 0, anonymous: fields["RssAnon:"] ?? 0)
    }

    static func micros(_ duration: Duration) -> Double {
        duration / .microseconds(1)
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    static func format(_ value: Double, digits: Int = 0) -> String {
        String(format: "%.\(digits)f", value)
    }

    static func kib(_ bytes: Int) -> String { String(bytes / 1024) }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("hot-bench-wasm: \(message)\n".utf8))
        exit(1)
    }
}

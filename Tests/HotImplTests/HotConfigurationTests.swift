import Foundation
import HotImpl
import HotWasm
import Testing

@Suite("Configuration from the environment")
struct HotConfigurationTests {
    @Test("unset or blank variables take their defaults")
    func defaults() throws {
        let configuration = try HotConfiguration.fromEnvironment(["HOT_RUNTIME_TIMEOUT": "  ", "HOT_DOMAIN_TARGET": "hot.example.com"])
        #expect(configuration.runtimeTimeout == 300)
        #expect(configuration.runLease == 30)
        #expect(configuration.maxBuildBytes == 104_857_600)
        #expect(configuration.databaseConnectTimeout == 15)
        #expect(configuration.domainCheckInterval == 30)
        #expect(configuration.httpIdleTimeout == 60)
        #expect(configuration.databaseWait == 5)
        #expect(configuration.buildStorage == "file")
        #expect(configuration.logLevel == .info)
        #expect(configuration.wasmFuel == 10_000_000_000)
        #expect(configuration.wasmMemoryMB == 256)
        #expect(configuration.wasmThreads == ProcessInfo.processInfo.activeProcessorCount)
        #expect(configuration.wasmLimits == WasmSandbox.Limits(fuel: 10_000_000_000, memoryBytes: 256 << 20, timeout: .seconds(300)))
    }

    @Test("the WebAssembly limits are read as given, and the run timeout bounds WebAssembly runs too")
    func wasm() throws {
        let configuration = try HotConfiguration.fromEnvironment([
            "HOT_WASM_FUEL": "18446744073709551615", "HOT_WASM_MEMORY_MB": "4096", "HOT_WASM_THREADS": "3",
            "HOT_RUNTIME_TIMEOUT": "9", "HOT_DOMAIN_TARGET": "hot.example.com",
        ])
        #expect(configuration.wasmThreads == 3)
        #expect(configuration.wasmLimits == WasmSandbox.Limits(fuel: .max, memoryBytes: 4096 << 20, timeout: .seconds(9)))
    }

    @Test("values are read as given", arguments: [
        ("HOT_RUNTIME_TIMEOUT", "7", \HotConfiguration.runtimeTimeout, 7),
        ("HOT_RUN_LEASE", "3600", \HotConfiguration.runLease, 3600),
        ("HOT_DOMAIN_CHECK_INTERVAL", "1", \HotConfiguration.domainCheckInterval, 1),
        ("HOT_HTTP_IDLE_TIMEOUT", "86400", \HotConfiguration.httpIdleTimeout, 86_400),
        ("HOT_DATABASE_WAIT", "2", \HotConfiguration.databaseWait, 2),
    ] as [(String, String, KeyPath<HotConfiguration, Int> & Sendable, Int)])
    func read(_ name: String, _ text: String, _ field: KeyPath<HotConfiguration, Int> & Sendable, _ expected: Int) throws {
        #expect(try HotConfiguration.fromEnvironment([name: text, "HOT_DOMAIN_TARGET": "hot.example.com"])[keyPath: field] == expected)
    }

    @Test("a value out of its range is refused with one line naming the variable, its range and the value", arguments: [
        ("HOT_RUNTIME_TIMEOUT", "0", "HOT_RUNTIME_TIMEOUT must be a positive number of seconds (got 0)"),
        ("HOT_RUNTIME_TIMEOUT", "soon", "HOT_RUNTIME_TIMEOUT must be a positive number of seconds (got soon)"),
        ("HOT_RUN_LEASE", "3601", "HOT_RUN_LEASE must be a number of seconds from 1 to 3600 (got 3601)"),
        ("HOT_MAX_BUILD_BYTES", "1099511627777", "HOT_MAX_BUILD_BYTES must be a number of bytes from 1 to 1099511627776 (got 1099511627777)"),
        ("HOT_DATABASE_CONNECT_TIMEOUT", "-1", "HOT_DATABASE_CONNECT_TIMEOUT must be a positive number of seconds (got -1)"),
        ("HOT_DOMAIN_CHECK_INTERVAL", "1.5", "HOT_DOMAIN_CHECK_INTERVAL must be a number of seconds from 1 to 86400 (got 1.5)"),
        ("HOT_HTTP_IDLE_TIMEOUT", "86401", "HOT_HTTP_IDLE_TIMEOUT must be a number of seconds from 1 to 86400 (got 86401)"),
        ("HOT_DATABASE_WAIT", "0", "HOT_DATABASE_WAIT must be a number of seconds from 1 to 3600 (got 0)"),
        ("HOT_WASM_FUEL", "0", "HOT_WASM_FUEL must be a positive number of instructions (got 0)"),
        ("HOT_WASM_FUEL", "18446744073709551616", "HOT_WASM_FUEL must be a positive number of instructions (got 18446744073709551616)"),
        ("HOT_WASM_MEMORY_MB", "4097", "HOT_WASM_MEMORY_MB must be a number of MiB from 1 to 4096 (got 4097)"),
        ("HOT_WASM_THREADS", "0", "HOT_WASM_THREADS must be a number of threads from 1 to 1024 (got 0)"),
        ("HOT_LOG_LEVEL", "loud", "HOT_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical (got loud)"),
        ("HOT_BUILD_STORAGE", "ftp://x", "HOT_BUILD_STORAGE must be 'file' or 's3://bucket/prefix' (got ftp://x)"),
    ])
    func refused(_ name: String, _ text: String, _ message: String) {
        do {
            _ = try HotConfiguration.fromEnvironment([name: text, "HOT_DOMAIN_TARGET": "hot.example.com"])
            Issue.record("\(name)=\(text) was accepted")
        } catch {
            #expect("\(error)" == message)
        }
    }
}

import AsyncHTTPClient
import Foundation
import HotRuntime
import HotUploads
import HotWasm
import Logging
import NIOCore

/// hot-server's configuration, from the environment (docs/configuration.md). No command-line flag
/// overrides it: the flags (docs/commands.md) set what the environment does not.
public struct HotConfiguration: Sendable {
    /// `HOT_DATABASE_URL`; nil: a managed local cluster under `dataDirectory/postgres`.
    public var databaseURL: String?
    /// `HOT_DATA_DIR`.
    public var dataDirectory: URL
    /// `HOT_ENCRYPTION_KEY` (base64 of 32 bytes); nil: generated once into `dataDirectory/encryption.key`.
    public var encryptionKey: String?
    /// `HOT_RUNTIME_URL`; nil: runs wait in the queue.
    public var runtimeURL: String?
    /// `HOT_RUNTIME_TOKEN`: sent to the runtime as a bearer token.
    public var runtimeToken: String?
    /// `HOT_RUNTIME_TIMEOUT` in seconds.
    public var runtimeTimeout: Int
    /// `HOT_RUN_LEASE` in seconds: how long a worker's claim on a run lasts unless renewed (a
    /// worker that dies mid-run gives its run up after this).
    public var runLease: Int
    /// `HOT_BUILD_STORAGE`: `file` or `s3://bucket/prefix`.
    public var buildStorage: String
    /// `HOT_MAX_BUILD_BYTES`: the largest build upload accepted (413 above it).
    public var maxBuildBytes: Int64
    /// `HOT_LOG_LEVEL`.
    public var logLevel: Logger.Level
    /// `HOT_DATABASE_CONNECT_TIMEOUT` in seconds: how long startup waits for the database.
    public var databaseConnectTimeout: Int64
    /// `HOT_DOMAIN_TARGET`: the host name custom domains point their CNAME at (this server's public name).
    public var domainTarget: String
    /// `HOT_DNS_RESOLVER`: the DNS server that checks custom domains' records (`host[:port]`); nil:
    /// the first nameserver of /etc/resolv.conf.
    public var dnsResolver: String?
    /// `HOT_DOMAIN_CHECK_INTERVAL` in seconds: between background checks of pending domains (and
    /// their first backoff).
    public var domainCheckInterval: Int
    /// `HOT_DATABASE_WAIT` in seconds: how long a request waits for a database connection before
    /// answering 503 `service_unavailable` (PostgreSQL stopped, restarting or unreachable).
    public var databaseWait: Int = 5
    /// `HOT_HTTP_IDLE_TIMEOUT` in seconds: a connection that sends nothing for this long, while
    /// idle or in the middle of sending a request (headers never finished, a body stalled), is closed.
    public var httpIdleTimeout: Int = 60
    /// Managed cluster only: fsync and friends. Tests turn it off for speed.
    public var durableLocalDatabase: Bool
    /// `HOT_METRICS_TOKEN`: a bearer token that lets clients beyond loopback read `GET /metrics`
    /// on the API's port; nil: loopback only.
    public var metricsToken: String? = nil
    /// `HOT_FROZEN_CLOCK=1`, for tests of whole processes only: the clock of requests (rate-limit
    /// refills, expiry) stands still at the process's start, so a rate-limit bucket never refills.
    public var frozenClock: Bool = false
    /// `HOT_WASM_FUEL`: instructions one WebAssembly run may execute.
    public var wasmFuel: UInt64 = WasmSandbox.Limits.defaultFuel
    /// `HOT_WASM_MEMORY_MB`: the linear memory one WebAssembly run may grow to, in MiB.
    public var wasmMemoryMB: Int = WasmSandbox.Limits.defaultMemoryBytes >> 20
    /// `HOT_WASM_THREADS`: threads running WebAssembly at once; default the number of cores.
    public var wasmThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// `HOT_PUBLIC_URL`: the URL clients reach this server at (`https://api.example.com`), the base
    /// of the webhook and MCP URLs the API lists; nil: `http://` and the Host each request came with.
    public var publicURL: String? = nil
    /// `HOT_FILE_MAX_BYTES`: the largest file the files API takes, under the plan's own limit (100 MiB
    /// on the hosted plans, 50 GiB otherwise); nil: the plan's.
    public var fileMaxBytes: Int64? = nil

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HotConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        /// A whole number of `unit` within `range`, or the one-line reason it is not.
        func number<N: FixedWidthInteger>(_ name: String, default fallback: N, _ range: ClosedRange<N>, _ unit: String) throws -> N {
            guard let text = value(name) else { return fallback }
            guard let number = N(text), range.contains(number) else {
                let bounds = range.upperBound == N.max ? "a positive number of \(unit)" : "a number of \(unit) from \(range.lowerBound) to \(range.upperBound)"
                throw Invalid(description: "\(name) must be \(bounds) (got \(text))")
            }
            return number
        }
        let levelText = value("HOT_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(description: "HOT_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical (got \(levelText))")
        }
        let storage = value("HOT_BUILD_STORAGE") ?? "file"
        guard storage == "file" || storage.hasPrefix("s3://") else {
            throw Invalid(description: "HOT_BUILD_STORAGE must be 'file' or 's3://bucket/prefix' (got \(storage))")
        }
        let targetText = value("HOT_DOMAIN_TARGET")
        let target: String
        do {
            // Unset: this machine's name, when it is a usable host name (else "localhost").
            target = try targetText.map { try DomainName.normalize($0, minimumLabels: 1) }
                ?? (try? DomainName.normalize(ProcessInfo.processInfo.hostName, minimumLabels: 1)) ?? "localhost"
        } catch {
            throw Invalid(description: "HOT_DOMAIN_TARGET must be a host name such as hot.example.com (got \(targetText ?? "")); \(error)")
        }
        var configuration = HotConfiguration(
            databaseURL: value("HOT_DATABASE_URL"),
            dataDirectory: URL(fileURLWithPath: value("HOT_DATA_DIR") ?? "./.hot", isDirectory: true).standardizedFileURL,
            encryptionKey: value("HOT_ENCRYPTION_KEY"),
            runtimeURL: value("HOT_RUNTIME_URL"),
            runtimeToken: value("HOT_RUNTIME_TOKEN"),
            runtimeTimeout: try number("HOT_RUNTIME_TIMEOUT", default: 300, 1...Int.max, "seconds"),
            runLease: try number("HOT_RUN_LEASE", default: 30, 1...3600, "seconds"),
            buildStorage: storage,
            // At most 1 TiB: sizes are added to it on the way.
            maxBuildBytes: try number("HOT_MAX_BUILD_BYTES", default: 100 << 20, 1...(1 << 40), "bytes"),
            logLevel: level,
            databaseConnectTimeout: try number("HOT_DATABASE_CONNECT_TIMEOUT", default: 15, 1...Int64.max, "seconds"),
            domainTarget: target,
            dnsResolver: value("HOT_DNS_RESOLVER"),
            domainCheckInterval: try number("HOT_DOMAIN_CHECK_INTERVAL", default: 30, 1...86_400, "seconds"),
            durableLocalDatabase: true,
            frozenClock: value("HOT_FROZEN_CLOCK") == "1"
        )
        configuration.metricsToken = value("HOT_METRICS_TOKEN")
        configuration.httpIdleTimeout = try number("HOT_HTTP_IDLE_TIMEOUT", default: 60, 1...86_400, "seconds")
        configuration.databaseWait = try number("HOT_DATABASE_WAIT", default: 5, 1...3600, "seconds")
        configuration.wasmFuel = try number("HOT_WASM_FUEL", default: WasmSandbox.Limits.defaultFuel, 1...UInt64.max, "instructions")
        // At most 4 GiB: a 32-bit memory's whole range.
        configuration.wasmMemoryMB = try number("HOT_WASM_MEMORY_MB", default: WasmSandbox.Limits.defaultMemoryBytes >> 20, 1...4096, "MiB")
        configuration.wasmThreads = try number("HOT_WASM_THREADS", default: ProcessInfo.processInfo.activeProcessorCount, 1...1024, "threads")
        if value("HOT_FILE_MAX_BYTES") != nil {
            configuration.fileMaxBytes = try number("HOT_FILE_MAX_BYTES", default: 0, 1...(1 << 40), "bytes")
        }
        if let publicURL = value("HOT_PUBLIC_URL") {
            guard let url = URL(string: publicURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host?.isEmpty == false, url.query == nil, url.fragment == nil
            else {
                throw Invalid(description: "HOT_PUBLIC_URL must be an http(s) URL such as https://api.example.com (got \(publicURL))")
            }
            configuration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
        return configuration
    }
}

extension HotConfiguration {
    /// Uploads spool beside the file storage, so storing one is a rename.
    public var uploadPolicy: UploadPolicy {
        UploadPolicy(directory: dataDirectory.appendingPathComponent("builds/.spool", isDirectory: true), maxFileBytes: maxBuildBytes)
    }

    /// The embedded WebAssembly runtime's limits: `HOT_WASM_FUEL`, `HOT_WASM_MEMORY_MB`, `HOT_RUNTIME_TIMEOUT`.
    public var wasmLimits: WasmSandbox.Limits {
        WasmSandbox.Limits(fuel: wasmFuel, memoryBytes: wasmMemoryMB << 20, timeout: .seconds(runtimeTimeout))
    }

    /// The runtime `HOT_RUNTIME_URL` names; nil when none is configured (runs wait in the queue).
    public func makeRuntime(logger: Logger) throws -> (any Runtime)? {
        guard let runtimeURL else { return nil }
        do {
            return try HTTPRuntime(url: runtimeURL, token: runtimeToken, timeout: .seconds(runtimeTimeout), httpClient: .shared, logger: logger)
        } catch {
            throw Invalid(description: "HOT_RUNTIME_URL=\(runtimeURL): \(error)")
        }
    }

    /// The self-hosted domain provider: validation records checked with DNS lookups at `HOT_DNS_RESOLVER`.
    public func makeDomainProvider(secrets: SecretBox, logger: Logger) throws -> any DomainProvider {
        let lookup: any DNSLookup
        if let dnsResolver {
            do {
                lookup = DNSResolver(server: try DNSResolver.address(dnsResolver))
            } catch {
                throw Invalid(description: "HOT_DNS_RESOLVER must be ip[:port] (got \(dnsResolver)): \(error)")
            }
        } else if let system = DNSResolver.systemServer() {
            lookup = DNSResolver(server: system)
        } else {
            // Serving needs no DNS: only custom domains' checks do, and they fail (and are retried) until one is configured.
            logger.warning("no nameserver in /etc/resolv.conf and no HOT_DNS_RESOLVER: custom domains cannot be checked")
            lookup = NoDNS()
        }
        return DNSDomainProvider(lookup: lookup, target: domainTarget, secrets: secrets)
    }

    /// No resolver configured: every lookup fails.
    struct NoDNS: DNSLookup {
        struct Unavailable: Error, CustomStringConvertible {
            var description: String { "no DNS server configured (HOT_DNS_RESOLVER)" }
        }

        func cnames(of name: String) async throws -> [String] { throw Unavailable() }
    }

    /// The storage `HOT_BUILD_STORAGE` names; S3 reads its endpoint and credentials from `environment`.
    public func makeBuildStorage(
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> any BuildStorage {
        guard buildStorage == "file" else {
            do {
                return try S3BuildStorage.fromEnvironment(url: buildStorage, environment: environment, httpClient: .shared, logger: logger)
            } catch {
                throw Invalid(description: "HOT_BUILD_STORAGE=\(buildStorage): \(error)")
            }
        }
        return FileBuildStorage(root: dataDirectory.appendingPathComponent("builds", isDirectory: true), logger: logger)
    }
}

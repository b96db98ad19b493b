import AsyncHTTPClient
import Foundation
import HotWasm
import Logging
import PostgresNIO
import ServiceLifecycle

/// A hot-server process: one `ServiceGroup` holding the PostgreSQL pool, the notification
/// listener, the workers, the scheduler and the domain checker, and (for `serve`) the HTTP server. SIGTERM or SIGINT
/// shuts them down in reverse order: the HTTP server finishes its requests, workers finish their
/// runs, then the listener and the pool close.
public enum HotProcess {
    public struct Options: Sendable {
        /// Where to listen; nil runs no HTTP server (`hot-server worker`).
        public var http: (host: String, port: Int)?
        public var workers: Int
        /// Where `GET /metrics` is also served, without credentials (`--metrics-port`).
        public var metrics: (host: String, port: Int)?
        /// The exporter of OpenTelemetry spans (`HotTracing.bootstrap`), when tracing is on.
        public var tracing: (any Service)?
        public var onServerRunning: @Sendable (Int) async -> Void

        public init(http: (host: String, port: Int)?, workers: Int = 2, metrics: (host: String, port: Int)? = nil,
                    tracing: (any Service)? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
            self.http = http
            self.workers = workers
            self.metrics = metrics
            self.tracing = tracing
            self.onServerRunning = onServerRunning
        }
    }

    public static func run(_ configuration: HotConfiguration, options: Options, logger: Logger) async throws {
        let key = try EncryptionKey.load(configured: configuration.encryptionKey, dataDirectory: configuration.dataDirectory)
        let storage = try configuration.makeBuildStorage(logger: logger)
        let runtime = try configuration.makeRuntime(logger: logger)
        let sandbox = WasmSandbox(threads: configuration.wasmThreads, limits: configuration.wasmLimits)
        let domainProvider = try configuration.makeDomainProvider(secrets: key, logger: logger)
        sweepSpool(configuration.uploadPolicy.directory, logger: logger)
        try await DatabaseSession.withCluster(configuration, logger: logger) { clientConfiguration in
            let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
            let metrics = HotMetrics()
            let database = Database(client: client, logger: logger, metrics: metrics, connectionWait: .seconds(configuration.databaseWait))
            let ready = DatabaseReady(database: database, connectTimeout: .seconds(configuration.databaseConnectTimeout))
            let pubsub = PostgresPubSub(database: database)
            let credentialCache = CredentialCache()
            let projectCache = ProjectCache()
            let credentialUsage = CredentialUsage()
            let domainChecks = DomainChecker.Settings(interval: .seconds(configuration.domainCheckInterval))
            let work = WorkSignal()
            let metricsEndpoint = MetricsEndpoint(metrics: metrics, database: database, hub: pubsub.hub, credentialCache: credentialCache)
            var services: [any Service] = [
                client,
                ready,
                AfterReady(ready, pubsub.listener(work: work, credentials: credentialCache, projects: projectCache)),
                AfterReady(ready, credentialUsage.writer(database: database)),
                HubTicker(hub: pubsub.hub),
                AfterReady(ready, WorkerPool(
                    database: database, pubsub: pubsub, secrets: key, runtime: runtime,
                    embedded: EmbeddedRuntime(sandbox: sandbox, database: database, logger: logger), work: work,
                    configuration: .init(workers: options.workers, lease: .seconds(configuration.runLease)), logger: logger)),
                AfterReady(ready, Scheduler(database: database, pubsub: pubsub, logger: logger)),
                AfterReady(ready, StreamMessagePruner(database: database)),
                AfterReady(ready, FileUploadSweeper(database: database, storage: storage)),
                AfterReady(ready, DomainChecker(database: database, provider: domainProvider, settings: domainChecks, logger: logger)),
            ]
            if let http = options.http {
                let servingProcesses = ServingProcesses()
                services.append(AfterReady(ready, servingProcesses.heartbeat(database: database)))
                let environment = HotApplication.Environment(
                    database: database, secrets: key, storage: storage, uploads: configuration.uploadPolicy, pubsub: pubsub,
                    domainProvider: domainProvider, domainChecks: domainChecks, credentialCache: credentialCache, projectCache: projectCache,
                    servingProcesses: servingProcesses, credentialUsage: credentialUsage,
                    metrics: metricsEndpoint, metricsToken: configuration.metricsToken,
                    clock: configuration.frozenClock ? ManualWallClock() : SystemWallClock(), wasmLimits: configuration.wasmLimits,
                    publicURL: configuration.publicURL, fileMaxBytes: configuration.fileMaxBytes)
                services.append(AfterReady(ready, HotApplication.make(
                    environment, host: http.host, port: http.port, idleTimeout: .seconds(configuration.httpIdleTimeout), logger: logger,
                    onServerRunning: options.onServerRunning)))
                services.append(FeedCloser(hub: pubsub.hub))
            } else if runtime == nil {
                logger.notice("no HOT_RUNTIME_URL: this worker runs functions with WebAssembly modules; the others wait for a worker with an HTTP runtime")
            }
            if let tracing = options.tracing {
                // First: stopped last, it exports what the others traced while shutting down.
                services.insert(tracing, at: 0)
            }
            if let listener = options.metrics {
                services.append(AfterReady(ready, HotApplication.metricsServer(metricsEndpoint, host: listener.host, port: listener.port, logger: logger)))
            }
            var groupConfiguration = ServiceGroupConfiguration(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // Runs in flight get their whole timeout to finish; past that (a client that stopped
            // reading a response, say) the rest is cancelled rather than waited for.
            groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.runtimeTimeout + 30)
            let group = ServiceGroup(configuration: groupConfiguration)
            do {
                try await group.run()
            } catch {
                try? await sandbox.shutdown() // the group's error is the one to report
                throw error
            }
            // The workers have stopped: no run is left on the sandbox's threads.
            try await sandbox.shutdown()
        }
    }
}

extension HotProcess {
    /// Spool files an hour old belong to uploads no process is reading any more (one that died
    /// mid-upload): they go at start.
    static func sweepSpool(_ directory: URL, logger: Logger) {
        let fileManager = FileManager.default
        let files: [URL]
        do {
            files = try fileManager.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])
        } catch {
            // None before the first upload: nothing to sweep.
            guard fileManager.fileExists(atPath: directory.path) else { return }
            logger.warning("could not list the upload spool to sweep it", metadata: ["path": "\(directory.path)", "error": "\(error)"])
            return
        }
        let cutoff = Date().addingTimeInterval(-3600)
        for file in files where file.pathExtension == "part" {
            // No date readable: the file went meanwhile (removing it then finds nothing), or it
            // counts as old.
            let modified = (try? file.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate ?? .distantPast
            guard modified < cutoff else { continue }
            do {
                try fileManager.removeItem(at: file)
            } catch where !fileManager.fileExists(atPath: file.path) {
                continue
            } catch {
                logger.warning("could not remove an abandoned upload spool file", metadata: ["path": "\(file.path)", "error": "\(error)"])
            }
        }
    }
}

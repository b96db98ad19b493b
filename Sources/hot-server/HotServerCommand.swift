import ArgumentParser
import Foundation
import HotImpl
import HotRuntime
import Logging
import ServiceLifecycle

@main
struct HotServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hot-server",
        abstract: "A server for the Hot API, generated from spec/openapi.yaml, on PostgreSQL.",
        version: HotVersion.current,
        subcommands: [Serve.self, Migrate.self, Worker.self, Keys.self, Org.self],
        defaultSubcommand: Serve.self
    )
}

/// Shared by every subcommand: configuration from the environment, logging set up once.
struct Setup {
    let configuration: HotConfiguration
    let logger: Logger
    /// The exporter of OpenTelemetry spans, when the environment configures one and the command
    /// traces (`serve`, `worker`).
    var tracing: (any Service)?

    /// `tracing`: the command's name, when it traces.
    static func make(tracing command: String? = nil) throws -> Setup {
        let configuration: HotConfiguration
        do {
            configuration = try HotConfiguration.fromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
        let level = configuration.logLevel
        // Lines are written by a thread of their own, in batches (no request waits on stderr),
        // until the command's work is done (`runReportingFailure`); whatever is queued is written
        // at exit too, should the process end another way.
        // While a span is active, lines carry its trace_id and span_id.
        let traced = command != nil && HotTracing.isRequested()
        LoggingSystem.bootstrap({ label, provider in HotLogHandler(label: label, level: level, metadataProvider: provider) },
                                metadataProvider: traced ? HotTracing.logMetadataProvider : nil)
        atexit { LogSink.standardError.flush() }
        let logger = Logger(label: "hot-server")
        var setup = Setup(configuration: configuration, logger: logger)
        if let command {
            do {
                setup.tracing = try HotTracing.bootstrap(command: command, logger: logger)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        return setup
    }
}

/// Runs `body` (the command's whole lifecycle: for `serve` and `worker`, until their service group
/// returns), then ends the log's thread, and turns any failure into a one-line reason on stderr
/// and a non-zero exit.
func runReportingFailure(_ body: () async throws -> Void) async throws {
    let failure: (any Error)?
    do {
        try await body()
        failure = nil
    } catch {
        failure = error
    }
    // Every line logged so far is written (before the reason, if any) and the thread ends; a line
    // logged after this is written before `log` returns.
    LogSink.standardError.finish()
    switch failure {
    case nil, is CancellationError:
        return
    case let error as ValidationError:
        throw error
    case let error?:
        FileHandle.standardError.write(Data("hot-server: \(String(reflecting: error).split(separator: "\n").joined(separator: " "))\n".utf8))
        throw ExitCode.failure
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the API server (the default).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free port and logs it.") var port = 4681
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        let setup = try Setup.make(tracing: "serve")
        try await runReportingFailure {
            let options = HotProcess.Options(http: (host, port), metrics: metrics.listener, tracing: setup.tracing) { bound in
                setup.logger.info("hot-server listening", metadata: ["address": .string("http://\(host):\(bound)")])
            }
            try await HotProcess.run(setup.configuration, options: options, logger: setup.logger)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")

    func run() async throws {
        let setup = try Setup.make()
        // Opening the database applies what is pending.
        try await runReportingFailure {
            try await DatabaseSession.with(setup.configuration, logger: setup.logger) { _, _ in }
        }
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run only the workers (event routing, runs, scheduler), no HTTP listener.")

    @Option(help: "Number of concurrent workers.") var workers = 2
    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        guard workers > 0 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        let setup = try Setup.make(tracing: "worker")
        try await runReportingFailure {
            setup.logger.info("worker started", metadata: ["workers": .stringConvertible(workers)])
            try await HotProcess.run(
                setup.configuration, options: .init(http: nil, workers: workers, metrics: metrics.listener, tracing: setup.tracing),
                logger: setup.logger)
        }
    }
}

/// A listener for `GET /metrics` alone, with no credentials.
struct MetricsOptions: ParsableArguments {
    @Option(help: "Also serve GET /metrics, without credentials, on this port (0 picks a free one).") var metricsPort: Int?
    @Option(help: "Address of the metrics listener.") var metricsHost = "127.0.0.1"

    var listener: (host: String, port: Int)? { metricsPort.map { (metricsHost, $0) } }
}

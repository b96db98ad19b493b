import Foundation
import Instrumentation
import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// OpenTelemetry traces (docs/configuration.md, "Tracing"): off unless an OTLP endpoint is
/// configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); then the
/// process-wide tracer is swift-otel's, exporting OTLP/HTTP, configured by the standard `OTEL_*`
/// variables.
///
/// While off, nothing here starts a span or binds a task-local: every place that traces asks
/// `isEnabled` (one relaxed atomic load) first, so an untraced server pays for nothing else.
public enum HotTracing {
    private static let enabled = Atomic<Bool>(false)
    /// The tracer `bootstrap` installed, asked directly: `InstrumentationSystem.tracer` looks through
    /// its instruments (behind a lock) for a tracer at every span.
    private static let installed = Mutex<(any Tracer)?>(nil)
    /// Spans the exporter could not deliver (the collector down or refusing) or had to drop (its queue
    /// full), as swift-otel's own log tells them (`SpanDropCounter`).
    static let droppedSpans = Atomic<Int>(0)

    /// Whether spans are made: `bootstrap` found an endpoint and installed the tracer.
    public static var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// Whether `environment` asks for traces: an OTLP endpoint, and the SDK not disabled
    /// (`OTEL_SDK_DISABLED=true`) nor its traces (`OTEL_TRACES_EXPORTER=none`), nor every span
    /// sampled out (`OTEL_TRACES_SAMPLER=always_off`: no tracer at all rather than one that makes
    /// nothing, so that sampling off costs nothing).
    public static func isRequested(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        guard value("OTEL_EXPORTER_OTLP_ENDPOINT") != nil || value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil else { return false }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return false }
        if value("OTEL_TRACES_EXPORTER")?.lowercased() == "none" { return false }
        if value("OTEL_TRACES_SAMPLER")?.lowercased() == "always_off" { return false }
        return true
    }

    /// The log metadata provider that puts `trace_id` and `span_id` on every line logged while a
    /// span is active (beside the request's `request_id`).
    public static var logMetadataProvider: Logger.MetadataProvider {
        OTel.makeLoggingMetadataProvider()
    }

    /// Installs the process-wide tracer when `environment` asks for traces (`isRequested`) and
    /// returns the service that batches and exports its spans: run it in the process's service
    /// group, first, so that it stops last and exports what the others' shutdown traced. Returns nil
    /// when traces are off. Call once per process (the tracer is process-wide).
    ///
    /// `command`: the process's subcommand (`serve`, `worker`), a resource attribute (`hot.command`)
    /// that tells a trace's processes apart, with the process id.
    public static func bootstrap(
        command: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> (any Service)? {
        guard isRequested(environment) else { return nil }
        try refuseUnsupported(environment)
        var configuration = OTel.Configuration.default
        // Only traces: metrics stay with Prometheus (`GET /metrics`), logs with stderr.
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        // `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` override these.
        configuration.serviceName = "hot-server"
        configuration.resourceAttributes = [
            "hot.command": command,
            "process.pid": String(getpid()),
            "service.version": HotVersion.current,
        ]
        // swift-otel's own lines (an export that failed, say) go to the server's log, counted.
        let level = logger.logLevel
        configuration.diagnosticLogger = .custom(Logger(label: "hot-server.otel", factory: { label in
            SpanDropCounter(forwardingTo: Logger(label: label).handler, minimum: level)
        }))
        let service: any Service
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            installed.withLock { $0 = backend.factory }
            service = backend.service
        } catch {
            throw HotConfiguration.Invalid(description: "OpenTelemetry tracing (OTEL_* variables): \(error)")
        }
        enabled.store(true, ordering: .relaxed)
        logger.info("tracing: spans are exported over OTLP/HTTP", metadata: [
            "endpoint": .string(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? ""),
        ])
        return service
    }

    /// swift-otel 1.6 stops the process (a fatal error) when asked for what it does not have: gRPC
    /// without its OTLPGRPC trait (which this build leaves out), the Jaeger-remote and X-Ray samplers,
    /// propagators other than W3C trace context. Refused here instead, with a reason.
    static func refuseUnsupported(_ environment: [String: String]) throws {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            guard let protocolName = value(name) else { continue }
            guard protocolName == "http/protobuf" || protocolName == "http/json" else {
                throw HotConfiguration.Invalid(
                    description: "\(name) must be http/protobuf or http/json (got \(protocolName)); this build exports OTLP over HTTP only")
            }
            break
        }
        if let sampler = value("OTEL_TRACES_SAMPLER"), ["jaeger_remote", "parentbased_jaeger_remote", "xray"].contains(sampler.lowercased()) {
            throw HotConfiguration.Invalid(description: "OTEL_TRACES_SAMPLER=\(sampler) is not supported; use always_on, traceidratio or their parentbased_ forms")
        }
        if let propagators = value("OTEL_PROPAGATORS") {
            let unsupported = propagators.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !["tracecontext", "none", ""].contains($0.lowercased()) }
            guard unsupported.isEmpty else {
                throw HotConfiguration.Invalid(
                    description: "OTEL_PROPAGATORS: \(unsupported.joined(separator: ", ")) not supported; only tracecontext (W3C traceparent, tracestate)")
            }
        }
    }

    /// Runs `body` in a span named `name` (a child of the task's current span, or of `context`),
    /// ended when `body` returns or throws (its error recorded); `body` gets nil and runs as it is
    /// when tracing is off.
    static func span<T>(
        _ name: @autoclosure () -> String, ofKind kind: SpanKind = .internal, context: InstrumentationContext? = nil,
        isolation: isolated (any Actor)? = #isolation, _ body: ((any Span)?) async throws -> T
    ) async rethrows -> T {
        guard let span = start(name(), ofKind: kind, context: context) else { return try await body(nil) }
        defer { span.end() }
        do {
            return try await InstrumentationContext.$current.withValue(span.context) {
                // An unsampled span records nothing: its attributes would be work thrown away.
                try await body(span.isRecording ? span : nil)
            }
        } catch {
            span.recordError(error)
            span.setStatus(.init(code: .error))
            throw error
        }
    }

    /// A span started now (or at `start`) and ended by the caller; nil when tracing is off.
    static func start(
        _ name: @autoclosure () -> String, ofKind kind: SpanKind = .internal, context: InstrumentationContext? = nil,
        at start: DefaultTracerClock.Instant? = nil
    ) -> (any Span)? {
        guard isEnabled, let tracer = installed.withLock({ $0 }) else { return nil }
        return tracer.startSpan(name(), context: context ?? .current ?? .topLevel, ofKind: kind, at: start ?? DefaultTracerClock.now)
    }

    /// Now, as spans start and end (for a span started after the fact, at a time noted before).
    static var now: DefaultTracerClock.Instant { DefaultTracerClock.now }
}

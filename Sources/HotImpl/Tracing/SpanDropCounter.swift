import Logging

/// The log handler of swift-otel's diagnostic logger: counts the spans its lines say were lost
/// (`HotTracing.droppedSpans`, `hot_trace_spans_dropped_total` in `/metrics`), and forwards every line
/// the server's log level lets through to the server's handler.
///
/// swift-otel 1.6 keeps its exporter and batch processor internal; its log is the one public place
/// that tells of a lost span: "Failed to export batch." (the batch's size in `batch_size`: the
/// collector down, refusing or too slow, every span of the batch gone) and "Spans were dropped this
/// iteration because queue was full" (`dropped_count`). Both are warnings, so the handler takes
/// warnings even when the server logs only errors, and drops what the server would not log.
struct SpanDropCounter: LogHandler {
    static let failedExport = "Failed to export batch."
    static let queueFull = "Spans were dropped this iteration because queue was full"

    private var wrapped: any LogHandler
    /// The server's log level (`HOT_LOG_LEVEL`): swift-otel sets its logger's own.
    private let minimum: Logger.Level

    init(forwardingTo wrapped: any LogHandler, minimum: Logger.Level) {
        self.wrapped = wrapped
        self.minimum = minimum
    }

    var logLevel: Logger.Level {
        get { min(wrapped.logLevel, .warning) }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        let message = event.message.description
        if message == Self.failedExport {
            Self.count(wrapped[metadataKey: "batch_size"] ?? event.metadata?["batch_size"])
        } else if message.hasPrefix(Self.queueFull) {
            Self.count(event.metadata?["dropped_count"] ?? wrapped[metadataKey: "dropped_count"])
        }
        guard event.level >= max(wrapped.logLevel, minimum) else { return }
        wrapped.log(event: event)
    }

    private static func count(_ value: Logger.Metadata.Value?) {
        guard let value, let spans = Int(value.description), spans > 0 else { return }
        HotTracing.droppedSpans.add(spans, ordering: .relaxed)
    }
}

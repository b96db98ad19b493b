import Instrumentation
import Tracing

/// A span's W3C trace context as text (`traceparent`, and `tracestate` when it has one): what is
/// stored with an event and a run (migration 014), so that the worker that picks a run up, in
/// another process and maybe minutes later, continues the trace of the request that made it.
struct TraceContext: Sendable, Equatable {
    var traceparent: String
    var tracestate: String?

    /// The task's current span's context; nil when tracing is off or no span is active.
    static var current: TraceContext? {
        guard HotTracing.isEnabled, let context = InstrumentationContext.current else { return nil }
        return TraceContext(of: context)
    }

    /// The span context `context` holds, as text; nil when it holds none.
    init?(of context: InstrumentationContext) {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryCarrier())
        self.init(traceparent: carrier["traceparent"], tracestate: carrier["tracestate"])
    }

    /// As stored: nil without a `traceparent`.
    init?(traceparent: String?, tracestate: String?) {
        guard let traceparent, !traceparent.isEmpty else { return nil }
        self.traceparent = traceparent
        self.tracestate = tracestate.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The context whose spans continue this one's trace, as children of its span.
    var context: InstrumentationContext {
        var context = InstrumentationContext.topLevel
        var carrier = ["traceparent": traceparent]
        if let tracestate { carrier["tracestate"] = tracestate }
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: DictionaryCarrier())
        return context
    }

    /// The context of a stored trace, or the task's own when none was stored.
    static func context(of stored: TraceContext?) -> InstrumentationContext {
        stored?.context ?? .current ?? .topLevel
    }
}

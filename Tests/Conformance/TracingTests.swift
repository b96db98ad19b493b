import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// OpenTelemetry traces (docs/configuration.md, "Tracing") from real `hot-server` processes to an
/// OTLP/HTTP receiver in the test (`OTLPReceiver`, decoding the protobuf they export).
@Suite("Tracing")
struct TracingTests {
    /// The W3C trace context a client sends (the spec's own example ids).
    static let clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let clientSpan = "00f067aa0ba902b7"

    @Test("a webhook call served by one process and run by another is one trace: request, call, run, runtime call, each the child of the one before")
    func webhookAcrossProcesses() async throws {
        let processes = try await TracedProcesses.start("hot-trace")
        defer { processes.terminate() }
        let (receiver, runtime, serve, worker, tenant) = (processes.receiver, processes.runtime, processes.serve, processes.worker, processes.tenant)
        let upload = try await CallsTests().upload(
            tenant, manifest: #"{"hot.bundle.app": {webhooks: {"remote": [{path: "/traced", fn: "::remote/traced"}]}}}"#, entries: [])
        let buildId = try #require(upload.buildId, "upload answered \(upload.status): \(upload.message ?? "")")
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let url = try #require(await WebhooksTests.urls(tenant)["remote/traced"])

        let answer = try await WebhooksTests.send(.POST, url, body: Data(#"{"n":1}"#.utf8), headers: [
            ("Content-Type", "application/json"), ("traceparent", "00-\(Self.clientTrace)-\(Self.clientSpan)-01"),
        ])
        #expect(answer.status == 200)
        let received = try await runtime.run(1)

        let spans = try await receiver.spans { spans in
            let names = spans.filter { $0.traceId == Self.clientTrace }.map(\.name)
            return ["runtime call", "POST", "LeaseQueue.complete", "await run outcome", "claim", "CallQueue.queue"].allSatisfy(names.contains)
                && names.contains { $0.hasPrefix("POST /webhook") } && names.contains { $0.hasPrefix("webhook call") }
                && names.contains { $0.hasPrefix("run ") }
        }.filter { $0.traceId == Self.clientTrace }
        func span(_ matches: (ReceivedSpan) -> Bool) throws -> ReceivedSpan {
            let found = spans.first(where: matches)
            return try #require(found, "\(spans)")
        }

        // Served: the request (a child of the client's span), the call, its queueing and its wait.
        let request = try span { $0.name.hasPrefix("POST /webhook") }
        #expect(request.kind == ReceivedSpan.server)
        #expect(request.parentSpanId == Self.clientSpan)
        #expect(request.resource["hot.command"] == "serve")
        #expect(request.attributes["http.response.status_code"] == "200")
        #expect(request.attributes["http.route"] == "/webhook/**")
        #expect(request.attributes["hot.request_id"] == answer.headers.first(name: "X-Request-Id"))
        // The webhook's token stays out of the span, as it does of the log.
        #expect(request.attributes["url.path"]?.hasSuffix("/…") == true)
        let call = try span { $0.name.hasPrefix("webhook call") }
        #expect(call.parentSpanId == request.spanId)
        #expect(call.attributes["hot.run_id"] == received.runId)
        #expect(try span { $0.name == "CallQueue.queue" }.parentSpanId == call.spanId)
        #expect(try span { $0.name == "await run outcome" }.parentSpanId == call.spanId)

        // Run by the other process: the run continues the call's trace from the database.
        let run = try span { $0.name.hasPrefix("run ") }
        #expect(run.resource["hot.command"] == "worker")
        #expect(run.resource["process.pid"] == String(worker.process.processIdentifier))
        #expect(run.parentSpanId == call.spanId)
        #expect(run.kind == ReceivedSpan.consumer)
        #expect(run.attributes["hot.run_id"] == received.runId)
        #expect(run.attributes["hot.outcome"] == "succeeded")
        #expect(try span { $0.name == "claim" }.parentSpanId == run.spanId)
        let runtimeCall = try span { $0.name == "runtime call" }
        #expect(runtimeCall.parentSpanId == run.spanId)
        #expect(runtimeCall.resource["hot.command"] == "worker")
        #expect(try span { $0.name == "LeaseQueue.complete" }.parentSpanId == run.spanId)
        // The runtime was told the span of the HTTP request under the runtime call, to continue the trace.
        let post = try span { $0.name == "POST" && $0.parentSpanId == runtimeCall.spanId }
        #expect(post.kind == ReceivedSpan.client)
        #expect(received.traceparent == "00-\(Self.clientTrace)-\(post.spanId)-01")

        // The request's log lines carry the trace beside the request id.
        let line = try await serve.logLine(containing: "trace_id=\(Self.clientTrace)")
        #expect(line.contains("request_id="))
        #expect(line.contains("span_id="))

        try await processes.stop()
    }

    @Test("an event's trace: publish, route, run and runtime call each the child of the one before; a WebAssembly webhook's run has its wasm execution")
    func eventAndWasmAcrossProcesses() async throws {
        let processes = try await TracedProcesses.start("hot-trace-event")
        defer { processes.terminate() }
        let (receiver, runtime, serve, tenant) = (processes.receiver, processes.runtime, processes.serve, processes.tenant)
        let manifest = #"""
            {"hot.bundle.app": {event_handlers: {"order:placed": [{fn: "::remote/on-order"}]},
                                webhooks: {"hooks": [{path: "/echo", fn: "::hooks/echo"}]}}}
            """#
        let upload = try await CallsTests().upload(tenant, manifest: manifest, entries: [("hooks.wat", WebhooksTests.echo)])
        let buildId = try #require(upload.buildId, "upload answered \(upload.status): \(upload.message ?? "")")
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let hook = try #require(await WebhooksTests.urls(tenant)["hooks/echo"])

        let eventTrace = "0af7651916cd43dd8448eb211c80319c", hookTrace = "5e1f3a0d5f2a4b6c8d9e0f1a2b3c4d5e"
        let published = try await WebhooksTests.send(.POST, serve.baseURL + "/v1/events", body: Data(#"{"event_type":"order:placed","event_data":{}}"#.utf8),
                                                     headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(tenant.token)"),
                                                               ("traceparent", "00-\(eventTrace)-\(Self.clientSpan)-01")])
        #expect(published.status == 201)
        let called = try await WebhooksTests.send(.POST, hook, body: Data(#"{"n":2}"#.utf8), headers: [
            ("Content-Type", "application/json"), ("traceparent", "00-\(hookTrace)-\(Self.clientSpan)-01"),
        ])
        #expect(called.status == 200)
        let received = try await runtime.run(1)

        let spans = try await receiver.spans { spans in
            let event = spans.filter { $0.traceId == eventTrace }.map(\.name)
            let hook = spans.filter { $0.traceId == hookTrace }.map(\.name)
            return ["publish order:placed", "route order:placed", "run ::remote/on-order", "runtime call"].allSatisfy(event.contains)
                && ["webhook call ::hooks/echo", "run ::hooks/echo", "wasm execute"].allSatisfy(hook.contains)
        }
        func span(_ trace: String, _ name: String) throws -> ReceivedSpan {
            let found = spans.first { $0.traceId == trace && $0.name == name }
            return try #require(found, "\(spans)")
        }
        let request = try span(eventTrace, "POST /v1/events")
        #expect(request.parentSpanId == Self.clientSpan)
        let publish = try span(eventTrace, "publish order:placed")
        #expect(publish.parentSpanId == request.spanId)
        #expect(publish.attributes["hot.event_id"] == published.json?["data"]?["event_id"]?.stringValue)
        // Routed by whichever process's worker took the event; run by the one with the runtime.
        let route = try span(eventTrace, "route order:placed")
        #expect(route.parentSpanId == publish.spanId)
        #expect(route.attributes["hot.run_count"] == "1")
        let run = try span(eventTrace, "run ::remote/on-order")
        #expect(run.parentSpanId == route.spanId)
        #expect(run.resource["hot.command"] == "worker")
        #expect(run.attributes["hot.run_id"] == received.runId)
        #expect(try span(eventTrace, "runtime call").parentSpanId == run.spanId)

        let call = try span(hookTrace, "webhook call ::hooks/echo")
        let wasmRun = try span(hookTrace, "run ::hooks/echo")
        #expect(wasmRun.parentSpanId == call.spanId)
        #expect(wasmRun.attributes["hot.runtime"] == "wasm")
        let wasm = try span(hookTrace, "wasm execute")
        #expect(wasm.parentSpanId == wasmRun.spanId)
        #expect(wasm.attributes["hot.module"] == "hooks.wat")
        try await processes.stop()
    }

    @Test("OTEL_TRACES_SAMPLER=always_off: requests are answered, nothing is exported (not even at shutdown), no tracer is installed")
    func samplingOff() async throws {
        let receiver = try await OTLPReceiver.start()
        let dataDirectory = try ServeProcess.dataDirectory("hot-trace-off")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let serve = try await ServeProcess.start(dataDirectory, environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_TRACES_SAMPLER": "always_off", "OTEL_BSP_SCHEDULE_DELAY": "100",
            "HOT_RUNTIME_URL": "",
        ])
        defer { if serve.process.isRunning { serve.process.terminate() } }
        for _ in 0..<5 {
            #expect(try await WebhooksTests.send(.GET, serve.baseURL + "/status").status == 200)
        }
        // Tracing is off altogether: no counter, no trace ids in the log.
        let metrics = String(decoding: try await WebhooksTests.send(.GET, serve.baseURL + "/metrics").body, as: UTF8.self)
        #expect(!metrics.contains("hot_trace"))
        // A graceful stop exports whatever spans were queued: none.
        #expect(try await serve.stop() == 0)
        #expect(receiver.exports == 0)
        #expect(receiver.spans.isEmpty)
        #expect(!(try String(contentsOf: serve.log, encoding: .utf8)).contains("trace_id="))
        await receiver.stop()
    }

    @Test("the collector down: requests are answered as usual, and the spans lost are counted in /metrics")
    func collectorDown() async throws {
        // Nothing listens there: every export is refused.
        let closed = try await OTLPReceiver.start()
        await closed.stop()
        let dataDirectory = try ServeProcess.dataDirectory("hot-trace-down")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let serve = try await ServeProcess.start(dataDirectory, environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": closed.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "HOT_RUNTIME_URL": "",
        ])
        defer { if serve.process.isRunning { serve.process.terminate() } }
        let requests = 5
        for _ in 0..<requests {
            #expect(try await WebhooksTests.send(.GET, serve.baseURL + "/status").status == 200)
        }
        let metricsURL = serve.baseURL + "/metrics"
        let dropped = try await Deadline.within(.seconds(30), waitingFor: "the dropped spans in /metrics") {
            while true {
                let text = String(decoding: try await WebhooksTests.send(.GET, metricsURL).body, as: UTF8.self)
                if let count = Self.counter("hot_trace_spans_dropped_total", in: text), count >= requests { return count }
                // Polls the scrape (the exporter's failures have no event to wait on); the deadline bounds it.
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(dropped >= requests)
        #expect(try await serve.stop() == 0)
    }

    @Test("no OTLP endpoint: no tracing, and /metrics has no tracing counter")
    func offByDefault() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-trace-none")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        var environment = ["HOT_RUNTIME_URL": ""]
        for name in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] { environment[name] = "" }
        let serve = try await ServeProcess.start(dataDirectory, environment: environment)
        defer { if serve.process.isRunning { serve.process.terminate() } }
        let status = try await WebhooksTests.send(.GET, serve.baseURL + "/status")
        #expect(status.status == 200)
        let metrics = String(decoding: try await WebhooksTests.send(.GET, serve.baseURL + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("hot_http_requests_total"))
        #expect(!metrics.contains("hot_trace"))
        let log = try String(contentsOf: serve.log, encoding: .utf8)
        #expect(!log.contains("trace_id="))
        #expect(!log.contains("tracing: spans are exported"))
        #expect(try await serve.stop() == 0)
    }

    @Test("what the exporter lacks (gRPC, the B3 propagator, the X-Ray sampler) is refused at start with a reason, exit 64, not a crash",
          arguments: [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got grpc)"),
            ("OTEL_PROPAGATORS", "tracecontext,baggage", "OTEL_PROPAGATORS: baggage not supported"),
            ("OTEL_TRACES_SAMPLER", "xray", "OTEL_TRACES_SAMPLER=xray is not supported"),
          ])
    func unsupportedRefused(variable: String, value: String, reason: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1"
        environment[variable] = value
        environment["HOT_DATA_DIR"] = FileManager.default.temporaryDirectory.appendingPathComponent("hot-otel-\(UUID().lowercased)").path
        let output = try await ChildProcess.run(CommandLineTests.executable, ["serve", "--port", "0"], environment: environment)
        #expect(output.status == 64)
        #expect(output.stderr.contains(reason), "\(output.stderr)")
    }

    /// A counter's value in Prometheus text (its unlabelled sample).
    static func counter(_ name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)).map { Int($0) }
        }
        return nil
    }
}

import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The process's instruments, in the Prometheus text format at `GET /metrics`.
///
/// Recorded through swift-metrics against a registry of the process's own (no global bootstrap, so
/// several servers in one test process keep their figures apart). What is a state rather than an
/// event (subscribers, cached credentials, the queue) is read when scraped.
public final class HotMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Instruments by label set, made once: swift-metrics looks each up in the registry otherwise.
    private let requests = Mutex<[RequestKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])
    private let runs = Mutex<[String: CoreMetrics.Counter]>([:])
    private let calls = Mutex<[String: CoreMetrics.Counter]>([:])
    private let queriesInFlight: Prometheus.Gauge

    struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["hot_http_request_duration_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        queriesInFlight = registry.makeGauge(
            name: "hot_db_queries_in_flight", help: "Queries and transactions holding a connection of the PostgreSQL pool")
    }

    /// One answered request: by method, route template (`unmatched` when none) and status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, route: route, status: status)
        let (counter, timer) = requests.withLock { instruments in
            if let made = instruments[key] { return made }
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            let made = (CoreMetrics.Counter(label: "hot_http_requests_total", dimensions: dimensions, factory: factory),
                        CoreMetrics.Timer(label: "hot_http_request_duration_seconds", dimensions: dimensions, factory: factory))
            instruments[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// A run ended in this process (`succeeded`, `failed`, `cancelled`).
    func runEnded(status: String) {
        runs.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = CoreMetrics.Counter(label: "hot_runs_total", dimensions: [("status", status)], factory: factory)
            counters[status] = counter
            return counter
        }.increment()
    }

    /// A webhook or MCP tool call answered (`via`: `webhook`, `mcp`) with its `outcome`: `succeeded`,
    /// `failed`, `cancelled`, `timeout`, `refused` (credential), `invalid` (arguments), `error`.
    func callEnded(via: String, outcome: String) {
        calls.withLock { counters in
            let key = via + "/" + outcome
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: "hot_calls_total", dimensions: [("via", via), ("outcome", outcome)], factory: factory)
            counters[key] = counter
            return counter
        }.increment()
    }

    /// Brackets a query or transaction on the pool.
    func query<T>(_ body: () async throws -> T) async rethrows -> T {
        queriesInFlight.increment()
        defer { queriesInFlight.decrement() }
        return try await body()
    }

    /// Sets a gauge read at scrape time.
    func set(_ name: String, help: String, labels: [(String, String)] = [], to value: Double) {
        registry.makeGauge(name: name, labels: labels, help: help).set(value)
    }

    /// Drops a gauge read at scrape time: what cannot be read now is left out rather than shown stale.
    func remove(_ name: String, help: String, labels: [(String, String)] = []) {
        registry.unregisterGauge(registry.makeGauge(name: name, labels: labels, help: help))
    }

    /// Everything in the Prometheus text format.
    public func render() -> String {
        registry.emitToString()
    }
}

import Foundation
import HotRuntime
import Hummingbird
import Synchronization

/// `GET /metrics`: what the process's instruments hold, plus the states read now.
public final class MetricsEndpoint: Sendable {
    let metrics: HotMetrics
    let database: Database
    let hub: StreamHub?
    let credentialCache: CredentialCache?
    /// Credential-cache counts already added to the counters (the cache keeps running totals).
    private let reported = Mutex((hits: 0, misses: 0, evictions: 0))
    /// Dropped spans already added to their counter.
    private let reportedDroppedSpans = Mutex(0)

    /// Counts an answered request by method, route template and final status, with its duration.
    var observer: APIMiddleware.Observer {
        let metrics = metrics
        return { request, context, status, duration in
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(status.code),
                            duration: duration)
        }
    }

    public init(metrics: HotMetrics, database: Database, hub: StreamHub?, credentialCache: CredentialCache?) {
        self.metrics = metrics
        self.database = database
        self.hub = hub
        self.credentialCache = credentialCache
    }

    /// The exposition text; a state that cannot be read now (the database is down) is left out.
    public func scrape() async -> String {
        if let hub {
            metrics.set("hot_sse_subscribers", help: "Live feeds (SSE) open on this process", to: Double(hub.subscriberCount))
        }
        if let credentialCache {
            let statistics = credentialCache.statistics
            metrics.set("hot_credential_cache_entries", help: "Credentials cached by this process", to: Double(statistics.entries))
            metrics.set("hot_credential_cache_listening", help: "1 while revocations reach the cache (else it is bypassed)",
                        to: statistics.listening ? 1 : 0)
            let (hits, misses, evictions) = reported.withLock { reported in
                defer { reported = (statistics.hits, statistics.misses, statistics.evictions) }
                return (statistics.hits - reported.hits, statistics.misses - reported.misses, statistics.evictions - reported.evictions)
            }
            metrics.registry.makeCounter(name: "hot_credential_cache_hits_total", help: "Requests authenticated from the cache")
                .increment(by: Int64(max(0, hits)))
            metrics.registry.makeCounter(name: "hot_credential_cache_misses_total", help: "Requests whose credential was read from PostgreSQL")
                .increment(by: Int64(max(0, misses)))
            metrics.registry.makeCounter(name: "hot_credential_cache_evictions_total", help: "Cached credentials dropped on a change")
                .increment(by: Int64(max(0, evictions)))
        }
        if HotTracing.isEnabled {
            // Only while tracing is on: an untraced server's /metrics is as it was.
            let dropped = HotTracing.droppedSpans.load(ordering: .relaxed)
            let new = reportedDroppedSpans.withLock { reported in
                defer { reported = dropped }
                return dropped - reported
            }
            metrics.registry.makeCounter(name: "hot_trace_spans_dropped_total",
                                         help: "Spans not exported: the OTLP collector unreachable, refusing or too slow, or the export queue full")
                .increment(by: Int64(max(0, new)))
        }
        let runsHelp = "Runs in the queue: waiting for a worker, or running under a lease"
        let expiredHelp = "Runs whose worker's lease ran out (to be run again)"
        let unroutedHelp = "Events acknowledged and not yet routed to handlers"
        do {
            let queue = try await database.query("""
                SELECT count(*) FILTER (WHERE locked_until IS NULL OR locked_until < now()),
                       count(*) FILTER (WHERE locked_until >= now()),
                       count(*) FILTER (WHERE locked_by IS NOT NULL AND locked_until < now()),
                       (SELECT count(*) FROM event WHERE routed_at IS NULL)
                FROM run_job
                """).all((Int, Int, Int, Int).self).first ?? (0, 0, 0, 0)
            metrics.set("hot_queue_runs", help: runsHelp, labels: [("state", "waiting")], to: Double(queue.0))
            metrics.set("hot_queue_runs", help: runsHelp, labels: [("state", "running")], to: Double(queue.1))
            metrics.set("hot_queue_expired_leases", help: expiredHelp, to: Double(queue.2))
            metrics.set("hot_queue_events_unrouted", help: unroutedHelp, to: Double(queue.3))
        } catch {
            database.logger.warning("metrics: could not read the queue; its gauges are left out", metadata: ["error": "\(error)"])
            metrics.remove("hot_queue_runs", help: runsHelp, labels: [("state", "waiting")])
            metrics.remove("hot_queue_runs", help: runsHelp, labels: [("state", "running")])
            metrics.remove("hot_queue_expired_leases", help: expiredHelp)
            metrics.remove("hot_queue_events_unrouted", help: unroutedHelp)
        }
        return metrics.render()
    }

    /// Who may read the endpoint on the API's port: loopback clients, or anyone with the
    /// configured token.
    public static func allows(remoteAddress: String?, authorization: String?, token: String?) -> Bool {
        if let address = remoteAddress, address == "127.0.0.1" || address == "::1" || address.hasPrefix("::ffff:127.") {
            return true
        }
        guard let token, !token.isEmpty, let authorization else { return false }
        // Compared in constant time: the token is a secret.
        let expected = Array("Bearer \(token)".utf8), given = Array(authorization.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func response() async -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await scrape())))
    }
}

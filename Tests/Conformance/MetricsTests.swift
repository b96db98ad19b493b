import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

@Suite("Metrics endpoint")
struct MetricsTests {
    @Test("GET /metrics shows the requests this app answered, its live feeds, cached credentials and the queue")
    func scrape() async throws {
        var tenant = try await Tenant.make()
        let server = tenant.server
        let hub = StreamHub()
        let endpoint = MetricsEndpoint(metrics: HotMetrics(), database: server.database, hub: hub, credentialCache: server.credentialCache)
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: PostgresPubSub(database: server.database, hub: hub), domainProvider: TestServer.domains,
            credentialCache: server.credentialCache, metrics: endpoint)
        tenant.server.baseURL = try await TestServer.startApp(environment, logger: server.logger)
        #expect(try await tenant.send(.GET, "/v1/env").status == 200)
        #expect(try await tenant.send(.GET, "/v1/env").status == 200)
        #expect(try await tenant.send(.GET, "/v1/projects/\(UUID.v7().lowercased)").status == 404)
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        defer { feed.close() }
        try await eventually("the feed's subscription") { hub.subscriberCount == 1 }

        // Not an operation of the spec: an operator endpoint.
        let reply = try await tenant.send(.GET, "/metrics", authorized: false, specChecked: false)
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: reply.body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"hot_http_requests_total{method="GET",route="/v1/env",status="200"} 2"#), "\(text)")
        #expect(lines.contains(#"hot_http_requests_total{method="GET",route="/v1/projects/{project_id_or_slug}",status="404"} 1"#))
        #expect(lines.contains(#"hot_http_requests_total{method="GET",route="/v1/env/subscribe",status="200"} 1"#))
        #expect(lines.contains("hot_sse_subscribers 1.0"))
        #expect(lines.contains { $0.hasPrefix(#"hot_queue_runs{state="waiting"} "#) })
        #expect(lines.contains { $0.hasPrefix("hot_queue_events_unrouted ") })
        #expect(lines.contains { $0.hasPrefix("hot_credential_cache_hits_total ") })
    }

    @Test("webhook and MCP calls are counted by via and outcome")
    func calls() async throws {
        let (tenant, urls) = try await WebhooksTests.deployed()
        let server = tenant.server
        let endpoint = MetricsEndpoint(metrics: HotMetrics(), database: server.database, hub: nil, credentialCache: nil)
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: server.pubsub, domainProvider: TestServer.domains, metrics: endpoint)
        let app = try await TestServer.startApp(environment, logger: server.logger)
        func path(_ key: String) throws -> String { String(try #require(urls[key]).dropFirst(server.baseURL.count)) }
        #expect(try await WebhooksTests.send(.POST, app + path("made/")).status == 201)
        #expect(try await WebhooksTests.send(.POST, app + path("made/")).status == 201)
        #expect(try await WebhooksTests.send(.POST, app + path("broken/boom")).status == 500)
        #expect(try await WebhooksTests.send(.PUT, app + path("hooks/private")).status == 401)

        let text = String(decoding: try await WebhooksTests.send(.GET, app + "/metrics").body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"hot_calls_total{via="webhook",outcome="succeeded"} 2"#), "\(text)")
        #expect(lines.contains(#"hot_calls_total{via="webhook",outcome="failed"} 1"#))
        #expect(lines.contains(#"hot_calls_total{via="webhook",outcome="refused"} 1"#))
    }

    @Test("serve --metrics-port: GET /metrics without credentials on a listener of its own, the API's requests counted there (and logged with their request id)")
    func listenerOfItsOwn() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-metrics-port")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let process = try await ServeProcess.start(
            dataDirectory, environment: ["HOT_RUNTIME_URL": ""], arguments: ["--metrics-port", "0", "--metrics-host", "127.0.0.1"])
        defer { if process.process.isRunning { process.process.terminate() } }
        let line = try await process.logLine(containing: "metrics listening")
        let address = try #require(line.firstRange(of: #/http://127\.0\.0\.1:\d+/metrics/#).map { String(line[$0]) }, "\(line)")
        let tenant = try await process.tenant(dataDirectory)
        let reply = try await tenant.send(.GET, "/v1/env")
        #expect(reply.status == 200)
        // Its access log line carries its request id, once (not Hummingbird's unrelated one too).
        let requestId = try #require(reply.headers.first(name: "X-Request-Id"))
        let access = try await process.logLine(containing: "request_id=\(requestId)")
        #expect(access.contains("path=/v1/env") && access.contains("status=200"), "\(access)")
        #expect(!access.contains("hb.request.id"), "\(access)")

        let scrape = try await HTTPClient.shared.execute(HTTPClientRequest(url: address), timeout: .seconds(10))
        #expect(scrape.status == .ok)
        let text = String(buffer: try await scrape.body.collect(upTo: 1 << 22))
        #expect(text.contains(#"route="/v1/env""#), "\(text.prefix(2000))")
        // The listener answers /metrics alone.
        let other = try await HTTPClient.shared.execute(HTTPClientRequest(url: address.replacingOccurrences(of: "/metrics", with: "/v1/env")), timeout: .seconds(10))
        #expect(other.status == .notFound)
        #expect(try await process.stop() == 0)
    }
}

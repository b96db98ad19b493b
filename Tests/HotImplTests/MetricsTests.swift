import Foundation
import Testing

@testable import HotImpl

@Suite("Metrics")
struct MetricsUnitTests {
    @Test("requests are counted by method, route and status, with a duration histogram; runs by status")
    func exposition() {
        let metrics = HotMetrics()
        metrics.request(method: "GET", route: "/v1/env", status: 200, duration: .milliseconds(3))
        metrics.request(method: "GET", route: "/v1/env", status: 200, duration: .milliseconds(30))
        metrics.request(method: "GET", route: "unmatched", status: 404, duration: .microseconds(200))
        metrics.runEnded(status: "succeeded")
        metrics.runEnded(status: "succeeded")
        metrics.runEnded(status: "failed")
        let text = metrics.render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"hot_http_requests_total{method="GET",route="/v1/env",status="200"} 2"#), "\(text)")
        #expect(lines.contains(#"hot_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        // 3 ms and 30 ms: one at or under 5 ms, both under 50 ms.
        #expect(lines.contains(#"hot_http_request_duration_seconds_bucket{method="GET",route="/v1/env",status="200",le="0.005"} 1"#))
        #expect(lines.contains(#"hot_http_request_duration_seconds_bucket{method="GET",route="/v1/env",status="200",le="0.05"} 2"#))
        #expect(lines.contains(#"hot_runs_total{status="succeeded"} 2"#))
        #expect(lines.contains(#"hot_runs_total{status="failed"} 1"#))
    }

    @Test("on the API's port, loopback clients read metrics; others only with the configured token")
    func access() {
        #expect(MetricsEndpoint.allows(remoteAddress: "127.0.0.1", authorization: nil, token: nil))
        #expect(MetricsEndpoint.allows(remoteAddress: "::1", authorization: nil, token: nil))
        #expect(!MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: nil, token: nil))
        #expect(!MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: "Bearer s3cret", token: nil))
        #expect(!MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: "Bearer s3cret", token: ""))
        #expect(!MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: "Bearer wrong!", token: "s3cret"))
        #expect(!MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: nil, token: "s3cret"))
        #expect(MetricsEndpoint.allows(remoteAddress: "10.0.0.7", authorization: "Bearer s3cret", token: "s3cret"))
    }
}

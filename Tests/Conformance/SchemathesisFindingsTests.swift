import AsyncHTTPClient
import Foundation
import HotRuntime
import Testing

/// What `scripts/schemathesis` found, each pinned by the request that found it.
@Suite("Schemathesis findings")
struct SchemathesisFindingsTests {
    @Test("a time_range reaching back past PostgreSQL's earliest timestamp filters nothing out (it was a 500: timestamp out of range)")
    func hugeTimeRange() async throws {
        let tenant = try await Tenant.make()
        // The request as Schemathesis sent it (its one undocumented query parameter left out).
        let found = try await tenant.send(.GET, "/v1/runs?limit=656&status=succeeded&offset=1779516269754&type=schedule&time_range=P13M605281W85D")
        #expect(found.status == 200)
        #expect(found.json?["pagination"]?["total"] == .int(0))
        for range in ["P13M605281W85D", "P999999999Y", "P999999999Y999999999M999999999W999999999DT999999999H999999999M999999999S"] {
            #expect(try await tenant.send(.GET, "/v1/runs?time_range=\(range)").status == 200, "\(range)")
            #expect(try await tenant.send(.GET, "/v1/runs/stats?time_range=\(range)").json?["data"]?["total_runs"] == .int(0), "\(range)")
        }
    }

    @Test("a Last-Event-ID that breaks its pattern, empty included, is a 400 on every feed (an empty one was taken as absent)", arguments: ["", "abc", "-1", "1234567890123456789"])
    func lastEventIdPattern(_ value: String) async throws {
        let tenant = try await Tenant.make()
        let streamId = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"x","event_data":{}}"#, id: "stream_id")
        for (method, path) in [("GET", "/v1/streams/\(streamId)/subscribe"), ("POST", "/v1/streams/\(streamId)/subscribe"), ("GET", "/v1/env/subscribe")] {
            var request = HTTPClientRequest(url: tenant.server.baseURL + path)
            request.method = .init(rawValue: method)
            request.headers.add(name: "Authorization", value: "Bearer \(tenant.token)")
            request.headers.add(name: "Last-Event-ID", value: value)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 400, "\(method) \(path) with Last-Event-ID '\(value)'")
            let body = try await response.body.collect(upTo: 1 << 16)
            #expect(String(buffer: body).contains("Invalid header 'Last-Event-ID'"))
        }
    }

    @Test("a raw upload without a body is an empty file, as with Content-Length: 0 (HTTP cannot tell them apart, so the body is optional in the spec: a required one was accepted empty)")
    func absentRawBody() async throws {
        let tenant = try await Tenant.make()
        func put(_ path: String, _ headers: String) async throws -> String {
            let connection = try await RawConnection.open(tenant.server.baseURL)
            defer { connection.close() }
            try await connection.send("PUT \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tenant.token)\r\n\(headers)Connection: close\r\n\r\n")
            return try await connection.readToEnd()
        }
        for headers in ["", "Content-Length: 0\r\n"] {
            let empty = try await put("/v1/files/upload/empty.txt", headers)
            #expect(empty.hasPrefix("HTTP/1.1 200"), "\(headers)")
            #expect(empty.contains(#""size":0"#))
            #expect(empty.contains(#""etag":"d41d8cd98f00b204e9800998ecf8427e""#))  // MD5 of nothing
        }
        let upload = try await Fixtures.created(tenant, "/v1/files/uploads", #"{"path":"parts.bin"}"#, id: "upload_id")
        #expect(try await put("/v1/files/uploads/\(upload)/1", "").contains(#""size":0"#))
    }
}

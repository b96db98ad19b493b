import Foundation
import Generated
import HotRuntime
import Testing

/// What a client finds without a credential: the status at `/`, the spec at `/openapi.json`; and
/// the tasks endpoints the official SDK knows, which this server answers with a clear 404.
@Suite("Discovery")
struct DiscoveryTests {
    @Test("GET / answers as /status; GET /openapi.json is spec/openapi.yaml as JSON")
    func discovery() async throws {
        let tenant = try await Tenant.make()
        let root = try await tenant.send(.GET, "/", authorized: false)
        #expect(root.status == 200)
        #expect(root.json?["status"]?.stringValue == "ok")
        #expect(root.json?["start_time"] == (try await tenant.send(.GET, "/status", authorized: false)).json?["start_time"])

        let spec = try await tenant.send(.GET, "/openapi.json", authorized: false, specChecked: false)
        #expect(spec.status == 200)
        #expect(spec.headers.first(name: "Content-Type") == "application/json")
        let document = try #require(spec.json)
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        #expect(document["info"]?["version"]?.stringValue == GeneratedBuildInfo.apiVersion)
        // Every operation the server routes is in it, under its path and method.
        for operation in OperationTable.all {
            #expect(document["paths"]?[operation.path]?[operation.method.rawValue.lowercased()]?["operationId"]?.stringValue == operation.operationId)
        }
        // A date-time stays the text it was (YAML would make a date of an unquoted one).
        #expect(document["paths"]?["/status"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["examples"]?["ok"]?["value"]?["start_time"]?.stringValue == "2026-01-15T10:00:00Z")
    }

    @Test("the tasks endpoints answer 404 saying tasks are not supported here")
    func tasks() async throws {
        let tenant = try await Tenant.make()
        for path in ["/v1/tasks/\(UUID().lowercased)", "/v1/tasks/\(UUID().lowercased)/subscribe"] {
            let answer = try await tenant.send(.GET, path, specChecked: false)
            #expect(answer.status == 404)
            #expect(answer.json?["error"]?["message"]?.stringValue?.contains("Tasks are not supported") == true)
        }
    }
}

import Foundation
import HotRuntime

/// Creates, through the API, the resource a path parameter designates, so that an example's
/// request finds what it presumes. Unknown parameters get nil (the example's value is used).
enum Fixtures {
    static func create(_ parameter: String, example: String?, in tenant: Tenant) async throws -> String? {
        switch parameter {
        case "project_id_or_slug":
            let name = example ?? "my-project"
            _ = try await tenant.createProject(name)
            return name
        case "session_id":
            return try await created(tenant, "/v1/sessions", #"{"permissions":{"stream:*":["read"]}}"#, id: "session_id")
        case "service_key_id":
            return try await created(tenant, "/v1/service-keys", #"{"name":"fixture","permissions":{"stream:*":["read"]}}"#, id: "service_key_id")
        default:
            return nil
        }
    }

    /// POSTs `body` and returns the `data.<id>` of the 201 answer.
    static func created(_ tenant: Tenant, _ path: String, _ body: String, id: String) async throws -> String {
        let reply = try await tenant.send(.POST, path, body: body)
        guard reply.status == 201, let value = reply.json?["data"]?[id]?.stringValue else {
            throw TestFailure("creating a fixture at \(path) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return value
    }
}

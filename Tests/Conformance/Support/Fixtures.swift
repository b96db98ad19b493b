import Foundation
import HotImpl
import HotRuntime
import HotTestSupport

/// Creates, through the API, the resource a path parameter designates, so that an example's
/// request finds what it presumes. Unknown parameters get nil (the example's value is used).
enum Fixtures {
    /// `project`: the project fixture already made for the same path, if any.
    static func create(_ parameter: String, example: String?, in tenant: Tenant, project: String? = nil) async throws -> String? {
        switch parameter {
        case "run_id":
            // The run of an event the fixture project's deployed build handles, as its stream reports it.
            _ = try await create("project_id_or_slug", example: "run-fixture", in: tenant)
            let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"user.signup","event_data":{}}"#)
            defer { feed.close() }
            let start = try await feed.frames(until: { $0.event == "run:start" }).last
            return start?.json?["run"]?["run_id"]?.stringValue
        case "event_id":
            return try await created(tenant, "/v1/events", #"{"event_type":"user.signup","event_data":{}}"#, id: "event_id")
        case "stream_id":
            // A stream with a run in it: an event the fixture project's deployed build handles.
            _ = try await create("project_id_or_slug", example: "stream-fixture", in: tenant)
            return try await created(tenant, "/v1/events", #"{"event_type":"user.signup","event_data":{}}"#, id: "stream_id")
        case "project_id_or_slug":
            // A project with a deployed build (its handlers and schedules) and a live build.
            let name = example ?? "my-project"
            let project = try await tenant.createProject(name)
            let buildId = try await tenant.uploadBuild(name, zip: SampleBundle.zip)
            let deploy = try await tenant.send(.POST, "/v1/projects/\(name)/builds/\(buildId)/deploy")
            guard deploy.status == 200 else { throw TestFailure("deploying the fixture build answered \(deploy.status)") }
            if let projectId = project["project_id"]?.stringValue.flatMap(UUID.init(uuidString:)) {
                try await SampleBundle.insertLiveBuild(projectId: projectId, envId: tenant.envId, database: tenant.server.database)
            }
            return name
        case "build_id":
            guard let project else { return nil }
            return try await tenant.uploadBuild(project, zip: SampleBundle.zip)
        case "key":
            guard let project else { return nil }
            let key = example ?? "DATABASE_URL"
            _ = try await created(tenant, "/v1/projects/\(project)/context", #"{"key":"\#(key)","value":"fixture-secret"}"#, id: "key")
            return key
        case "domain_id":
            // Registered directly, as the API would: the rate-limit replays work in a starter org, whose plan has no domains.
            let claim = try await DomainStore(database: tenant.server.database).create(
                envId: tenant.envId, orgId: tenant.server.orgId, name: uniqueDomain("fixture.example.com"), limit: -1, now: Date(), lease: .seconds(60))
            let checker = DomainChecker(database: tenant.server.database, provider: TestServer.domains, logger: tenant.server.logger)
            return try await checker.requestCertificate(claim).id.lowercased
        case "file_id":
            let reply = try await tenant.send(.PUT, "/v1/files/upload/fixtures/\(UUID().lowercased).txt", body: "hello",
                                              contentType: "application/octet-stream")
            guard reply.status == 200, let id = reply.json?["data"]?["file_id"]?.stringValue else {
                throw TestFailure("uploading a fixture file answered \(reply.status)")
            }
            return id
        case "upload_id":
            // A pending upload holding one part, so that completing it succeeds.
            let id = try await created(tenant, "/v1/files/uploads", #"{"path":"fixtures/\#(UUID().lowercased).bin"}"#, id: "upload_id")
            let part = try await tenant.send(.PUT, "/v1/files/uploads/\(id)/1", body: "hello", contentType: "application/octet-stream")
            guard part.status == 200 else { throw TestFailure("uploading a fixture part answered \(part.status)") }
            return id
        case "session_id":
            return try await created(tenant, "/v1/sessions", #"{"permissions":{"stream:*":["read"]}}"#, id: "session_id")
        case "service_key_id":
            // Stored directly: the rate-limit replays work in a starter org, whose plan has no service keys.
            let key = try await ServiceKeyStore(database: tenant.server.database, box: TestServer.testSecrets).create(
                apiKeyId: tenant.keyId, envId: tenant.envId, .init(name: "fixture", permissions: ["stream:*": ["read"]]), now: Date())
            return key.serviceKeyId.lowercased
        default:
            return nil
        }
    }

    /// `domain` under a label no other test uses (domains are unique across envs).
    static func uniqueDomain(_ domain: String) -> String {
        "t\(UUID().lowercased.prefix(12)).\(domain)"
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

import Foundation
import HotImpl
import HotRuntime
import PostgresNIO
import Testing

@Suite("Context variables")
struct ContextTests {
    @Test("create, list, update and delete answer metadata only; a duplicate key is a 409; unknown keys are 404s")
    func lifecycle() async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let secret = "postgres://user:s3cret-\(UUID().lowercased)@host/db"
        let created = try await tenant.send(.POST, "/v1/projects/app/context",
                                            body: #"{"key":"DATABASE_URL","value":"\#(secret)","description":"db"}"#)
        #expect(created.status == 201)
        #expect(created.json?["data"]?["key"]?.stringValue == "DATABASE_URL")
        #expect(created.json?["data"]?["description"]?.stringValue == "db")
        #expect(created.json?["data"]?["value"] == nil)

        let duplicate = try await tenant.send(.POST, "/v1/projects/app/context", body: #"{"key":"DATABASE_URL","value":"x"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.json?["error"]?["code"]?.stringValue == "conflict")

        let newSecret = "rotated-\(UUID().lowercased)"
        let updated = try await tenant.send(.PUT, "/v1/projects/app/context/DATABASE_URL", body: #"{"value":"\#(newSecret)"}"#)
        #expect(updated.status == 200)
        // No description given: the current one stays.
        #expect(updated.json?["data"]?["description"]?.stringValue == "db")
        let described = try await tenant.send(.PUT, "/v1/projects/app/context/DATABASE_URL", body: #"{"value":"\#(newSecret)","description":"primary"}"#)
        #expect(described.json?["data"]?["description"]?.stringValue == "primary")

        let list = try await tenant.send(.GET, "/v1/projects/app/context")
        #expect(list.json?["pagination"]?["total"] == .int(1))
        #expect(list.json?["data"]?[0]?["key"]?.stringValue == "DATABASE_URL")
        for reply in [created, updated, described, list] {
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(!text.contains(secret) && !text.contains(newSecret))
        }

        #expect(try await tenant.send(.PUT, "/v1/projects/app/context/MISSING", body: #"{"value":"x"}"#).status == 404)
        #expect(try await tenant.send(.DELETE, "/v1/projects/app/context/DATABASE_URL").status == 204)
        #expect(try await tenant.send(.DELETE, "/v1/projects/app/context/DATABASE_URL").status == 404)
        #expect(try await tenant.send(.GET, "/v1/projects/app/context").json?["pagination"]?["total"] == .int(0))
    }

    @Test("keys follow the documented pattern", arguments: ["1ABC", "has space", "semi;colon", "", String(repeating: "K", count: 257)])
    func invalidKeys(key: String) async throws {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let reply = try await tenant.send(.POST, "/v1/projects/app/context", body: #"{"key":"\#(key)","value":"x"}"#)
        #expect(reply.status == 400)
    }

    @Test("values are sealed at rest, bound to their project and key, and open only for the runtime")
    func encryptedAtRest() async throws {
        let tenant = try await Tenant.make()
        let project = try await tenant.createProject("app")
        let projectId = try #require(project["project_id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        let secret = "plaintext-\(UUID().lowercased)"
        for key in ["API_TOKEN", "OTHER"] {
            #expect(try await tenant.send(.POST, "/v1/projects/app/context", body: #"{"key":"\#(key)","value":"\#(secret)-\#(key)"}"#).status == 201)
        }
        let database = tenant.server.database
        // The table holds no plaintext, whichever way it is read.
        var rows: [(String, String)] = []
        for try await row in try await database.client.query(
            "SELECT key, value_sealed FROM context_variable WHERE project_id = \(projectId)", logger: database.logger).decode((String, String).self) {
            rows.append(row)
        }
        #expect(rows.count == 2)
        for (_, sealed) in rows {
            #expect(!sealed.contains(secret))
            let raw = try #require(Data(base64Encoded: sealed))
            #expect(raw.range(of: Data(secret.utf8)) == nil)
        }
        let store = ContextStore(database: database, box: TestServer.testSecrets)
        #expect(try await store.values(projectId: projectId) == ["API_TOKEN": "\(secret)-API_TOKEN", "OTHER": "\(secret)-OTHER"])

        // A sealed value copied onto another key's row does not open.
        let sealedToken = try #require(rows.first { $0.0 == "API_TOKEN" }?.1)
        try await database.client.query(
            "UPDATE context_variable SET value_sealed = \(sealedToken) WHERE project_id = \(projectId) AND key = 'OTHER'", logger: database.logger)
        await #expect(throws: (any Error).self) { try await store.values(projectId: projectId) }
    }
}

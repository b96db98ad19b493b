import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import NIOCore
import NIOHTTP1
import Testing

/// An env of its own with an API key: what each test works in, so tests never see each other's data.
struct Tenant: Sendable {
    var server: TestServer.Running
    var envId: UUID
    var envName: String
    var token: String
    var keyId: UUID

    /// `orgId` nil: the default org. `baseURL` nil: the shared server.
    static func make(permissions: [String: [String]] = ["*:*": ["*"]], orgId: UUID? = nil, baseURL: String? = nil) async throws -> Tenant {
        var server = try await TestServer.shared.running()
        if let baseURL { server.baseURL = baseURL }
        let name = "test-\(UUID().lowercased)"
        let env = try await EnvStore(database: server.database).ensure(name: name, orgId: orgId ?? server.orgId)
        let (record, token) = try await APIKeyStore(database: server.database).create(envId: env.envId, name: name, permissions: permissions)
        return Tenant(server: server, envId: env.envId, envName: name, token: token.text, keyId: record.id)
    }

    /// Another API key in the same env.
    func key(permissions: [String: [String]]) async throws -> String {
        let (_, token) = try await APIKeyStore(database: server.database).create(envId: envId, name: nil, permissions: permissions)
        return token.text
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// Sends a request with this tenant's token (or `token`, or none when `authorized` is false).
    /// Every answer is checked against the spec (`ResponseSchemaCheck`): a status its operation does
    /// not list, or a body that breaks that response's schema, fails the test. `specChecked: false`
    /// only for a request that deliberately goes where no operation of the spec is.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json",
              token: String? = nil, authorized: Bool = true, specChecked: Bool = true,
              fileID: String = #fileID, filePath: String = #filePath, line: Int = #line, column: Int = #column) async throws -> Reply {
        try await send(method, path, data: body.map { Data($0.utf8) }, contentType: contentType, token: token, authorized: authorized,
                       specChecked: specChecked, fileID: fileID, filePath: filePath, line: line, column: column)
    }

    /// Sends raw bytes (a multipart form with a zip, say).
    /// `closing`: the connection is not kept for another request.
    func send(_ method: HTTPMethod, _ path: String, data: Data?, contentType: String = "application/json",
              token: String? = nil, authorized: Bool = true, closing: Bool = false, specChecked: Bool = true,
              fileID: String = #fileID, filePath: String = #filePath, line: Int = #line, column: Int = #column) async throws -> Reply {
        let reply = try await exchange(method, path, data: data, contentType: contentType, token: token, authorized: authorized, closing: closing)
        if specChecked {
            for problem in ResponseSchemaCheck.problems(
                method: method.rawValue, path: path, status: reply.status, contentType: reply.headers.first(name: "Content-Type"), body: reply.body)
            {
                Issue.record(Comment(rawValue: problem), sourceLocation: SourceLocation(fileID: fileID, filePath: filePath, line: line, column: column))
            }
        }
        return reply
    }

    private func exchange(_ method: HTTPMethod, _ path: String, data: Data?, contentType: String,
                          token: String?, authorized: Bool, closing: Bool) async throws -> Reply {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        if closing { request.headers.add(name: "Connection", value: "close") }
        if authorized { request.headers.add(name: "Authorization", value: "Bearer \(token ?? self.token)") }
        if let data {
            // An empty content type sends none.
            if !contentType.isEmpty { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        // A debug build reads a multipart upload at a few MB a second, and the whole suite's load
        // halves that: a body of megabytes (an oversized bundle) gets minutes, not the 30 s that
        // bound every other answer (an upload of 16 MiB once took longer than 30 s under load).
        let timeout: TimeAmount = (data?.count ?? 0) > 1 << 20 ? .seconds(180) : .seconds(30)
        guard closing else {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
        }
        // A client of its own, shut down after the answer: nothing of this connection is reused.
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await client.shutdown() } }
        let response = try await client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    func createProject(_ name: String) async throws -> JSONValue {
        let reply = try await send(.POST, "/v1/projects", body: #"{"name":"\#(name)"}"#)
        guard reply.status == 201, let data = reply.json?["data"] else {
            throw TestFailure("creating project \(name) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return data
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

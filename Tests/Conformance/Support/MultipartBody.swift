import Crypto
import Foundation
import HotTestSupport
import HotRuntime

/// A `multipart/form-data` body, built field by field.
struct MultipartBody {
    let boundary = "hot-test-\(UUID().lowercased)"
    private(set) var data = Data()
    /// The text fields, by name.
    private(set) var fields: [String: String] = [:]

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func field(_ name: String, _ value: String) {
        fields[name] = value
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ name: String, filename: String = "build.hot.zip", contentType: String = "application/zip", bytes: Data) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
    }

    /// The body with its closing boundary.
    var finished: Data { data + Data("--\(boundary)--\r\n".utf8) }

    /// The form an upload sends: the file, its hash (the file's own unless given) and an optional build id.
    static func upload(_ zip: Data, hash: String? = nil, buildId: String? = nil) -> MultipartBody {
        var form = MultipartBody()
        form.file("file", bytes: zip)
        form.field("hash", hash ?? sha256Hex(zip))
        if let buildId { form.field("build_id", buildId) }
        return form
    }
}

func sha256Hex(_ data: Data) -> String {
    HexString.lowercase(SHA256.hash(data: data))
}

extension Tenant {
    /// `POST /v1/projects/{project}/builds` with `zip`.
    func upload(_ project: String, zip: Data, hash: String? = nil, buildId: String? = nil, token: String? = nil) async throws -> Reply {
        let form = MultipartBody.upload(zip, hash: hash, buildId: buildId)
        return try await send(.POST, "/v1/projects/\(project)/builds", data: form.finished, contentType: form.contentType, token: token)
    }

    /// Uploads `zip` and returns the new build's id, or fails the test.
    /// A new project `project` whose deployed build handles `eventType` with `fn`.
    func deployHandler(project: String, eventType: String, fn: String) async throws {
        _ = try await createProject(project)
        let manifest = SampleBundle.manifest(handlers: [(eventType: eventType, fn: fn, meta: "{}")])
        let buildId = try await uploadBuild(project, zip: SampleBundle.archive(manifest: manifest, method: .deflate))
        let deploy = try await send(.POST, "/v1/projects/\(project)/builds/\(buildId)/deploy")
        guard deploy.status == 200 else { throw TestFailure("deploying \(project) answered \(deploy.status)") }
    }

    func uploadBuild(_ project: String, zip: Data, buildId: String? = nil) async throws -> String {
        let reply = try await upload(project, zip: zip, buildId: buildId)
        guard reply.status == 201, let id = reply.json?["data"]?["build_id"]?.stringValue else {
            throw TestFailure("uploading a build to \(project) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return id
    }
}

import Crypto
import Foundation
import HotRuntime
import HotUploads
import Hummingbird
import Logging
import NIOCore
import Testing

@Suite("Multipart uploads")
struct MultipartUploadTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-tests-\(UUID().uuidString)")
    let boundary = "b0undary"

    func request(_ body: String, chunkSize: Int = 7, contentType: String? = nil) -> Request {
        let bytes = Array(body.utf8)
        // Arrives in small chunks, so parts and boundaries straddle them.
        let chunks = stride(from: 0, to: bytes.count, by: chunkSize).map { ByteBuffer(bytes: bytes[$0..<min($0 + chunkSize, bytes.count)]) }
        var fields = HTTPFields()
        fields[.contentType] = contentType ?? "multipart/form-data; boundary=\(boundary)"
        return Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/upload", headerFields: fields),
            body: RequestBody(asyncSequence: AsyncStream { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }))
    }

    func form(_ parts: [(name: String, filename: String?, value: String)], closed: Bool = true) -> String {
        var text = ""
        for part in parts {
            let file = part.filename.map { "; filename=\"\($0)\"" } ?? ""
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\(file)\r\n\r\n\(part.value)\r\n"
        }
        return closed ? text + "--\(boundary)--\r\n" : text
    }

    func read(_ request: Request, maxFileBytes: Int64 = 1024) async throws -> MultipartUpload {
        try await MultipartUpload.read(request, policy: UploadPolicy(directory: directory, maxFileBytes: maxFileBytes),
                                       fileFields: ["file"], textFields: ["hash", "build_id"],
                                       logger: Logger(label: "hot-server.tests.multipart"))
    }

    var spooled: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] }

    @Test("file parts are spooled with their size and SHA-256; text fields are kept")
    func spoolsFiles() async throws {
        let content = String(repeating: "zip\r\n-bytes-", count: 40)
        let upload = try await read(request(form([("file", "b.zip", content), ("hash", nil, "abc")])))
        defer { upload.discard() }
        let file = try #require(upload.file("file"))
        #expect(try Data(contentsOf: file.url) == Data(content.utf8))
        #expect(file.size == Int64(content.utf8.count))
        // sha256 of the content, computed independently by the test.
        #expect(file.sha256 == HexString.lowercase(SHA256.hash(data: Data(content.utf8))))
        #expect(file.filename == "b.zip")
        #expect(try upload.string("hash") == "abc")
        upload.discard()
        #expect(spooled.isEmpty)
    }

    @Test("a file over the limit is a 413 and leaves no spool file")
    func oversized() async throws {
        let error = await #expect(throws: APIError.self) {
            try await read(request(form([("file", "b.zip", String(repeating: "x", count: 2000))])), maxFileBytes: 1000)
        }
        #expect(error?.status == .contentTooLarge)
        #expect(spooled.isEmpty)
    }

    @Test("unknown, repeated and unnamed fields, and a body that ends inside a part, are 400s with nothing left behind")
    func malformed() async throws {
        let bodies = [
            form([("other", nil, "x")]),
            form([("hash", nil, "a"), ("hash", nil, "b")]),
            form([("file", "a.zip", "x"), ("file", "b.zip", "y")]),
            "--\(boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(boundary)--\r\n",
            form([("file", "b.zip", String(repeating: "y", count: 100))], closed: false),
        ]
        for body in bodies {
            let error = await #expect(throws: APIError.self) { try await read(request(body)) }
            #expect(error?.status == .badRequest, "\(body.prefix(80))")
            #expect(spooled.isEmpty)
        }
    }

    @Test("a body that is not multipart/form-data is a 415; one without a boundary a 400")
    func notMultipart() async throws {
        for (contentType, status) in [("application/json", HTTPResponse.Status.unsupportedMediaType), ("multipart/form-data", .badRequest)] {
            let error = await #expect(throws: APIError.self) { try await read(request(form([("hash", nil, "a")]), contentType: contentType)) }
            #expect(error?.status == status, "\(contentType)")
        }
    }
}

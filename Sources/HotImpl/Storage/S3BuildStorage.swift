import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import _NIOFileSystem

/// Build archives in an S3 bucket (AWS, MinIO, moto…), under a key prefix, over AsyncHTTPClient with
/// AWS Signature Version 4 header auth.
///
/// Addressing: path-style (`http://endpoint/bucket/key`) when an endpoint is given, which is what MinIO and
/// moto expect; virtual-hosted (`https://bucket.s3.<region>.amazonaws.com/key`) on AWS unless the bucket
/// name has a dot (its TLS certificate would not match), where path-style is used too.
///
/// Payload signing: uploads are signed with `x-amz-content-sha256: UNSIGNED-PAYLOAD`. Hashing the body
/// first would mean reading every archive from disk twice before a single byte goes out; the signature still
/// covers the method, path, host, date and credentials, and on AWS the body's integrity in transit is
/// protected by TLS (https is the default endpoint). A plain-http endpoint is for local MinIO/moto.
public struct S3BuildStorage: BuildStorage {
    public let backend = "s3"
    /// Where new archives go: the bucket and key prefix from `s3://bucket/prefix`.
    public let location: S3Location
    /// `scheme://host[:port]` plus any base path, without a trailing "/".
    public let endpoint: URL
    public let pathStyle: Bool
    let signer: SigV4Signer
    let httpClient: HTTPClient
    let logger: Logger
    /// Time for a GET/DELETE to get its response head.
    let requestTimeout: TimeAmount
    /// Time for a PUT to send the whole archive and get its response head.
    let uploadTimeout: TimeAmount
    /// Size of the reads from disk while uploading.
    static let chunkLength: Int64 = 64 * 1024
    /// Most of an error body read to find S3's error code.
    static let maxErrorBody = 64 * 1024

    /// - Parameters:
    ///   - url: `s3://bucket` or `s3://bucket/prefix`.
    ///   - endpoint: e.g. `http://127.0.0.1:9000` for MinIO/moto (path-style); nil for AWS
    ///     (`https://s3.<region>.amazonaws.com`, virtual-hosted).
    public init(
        url: String,
        endpoint: URL?,
        region: String,
        accessKeyId: String,
        secretAccessKey: String,
        sessionToken: String?,
        httpClient: HTTPClient,
        logger: Logger,
        requestTimeout: Duration = .seconds(30),
        uploadTimeout: Duration = .seconds(3600)
    ) throws {
        self.location = try S3Location(parsing: url)
        guard !region.isEmpty else { throw BuildStorageError.failed("S3 storage needs a region") }
        guard !accessKeyId.isEmpty, !secretAccessKey.isEmpty else {
            throw BuildStorageError.failed("S3 storage needs an access key id and a secret access key")
        }
        if let endpoint {
            guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = endpoint.host, !host.isEmpty
            else {
                throw BuildStorageError.failed("S3 endpoint '\(endpoint.absoluteString)' must be http(s)://host[:port]")
            }
            var text = endpoint.absoluteString
            while text.hasSuffix("/") { text.removeLast() }
            self.endpoint = URL(string: text)!
            self.pathStyle = true
        } else {
            self.endpoint = URL(string: "https://s3.\(region).amazonaws.com")!
            self.pathStyle = self.location.bucket.contains(".")
        }
        self.signer = SigV4Signer(
            accessKeyId: accessKeyId,
            secretAccessKey: secretAccessKey,
            sessionToken: sessionToken.flatMap { $0.isEmpty ? nil : $0 },
            region: region
        )
        self.httpClient = httpClient
        self.logger = logger
        self.requestTimeout = Self.timeAmount(requestTimeout)
        self.uploadTimeout = Self.timeAmount(uploadTimeout)
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (else
    /// `AWS_DEFAULT_REGION`, else us-east-1) and `HOT_S3_ENDPOINT` (unset: AWS).
    public static func fromEnvironment(
        url: String,
        environment: [String: String],
        httpClient: HTTPClient,
        logger: Logger
    ) throws -> S3BuildStorage {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        guard let accessKeyId = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw BuildStorageError.failed("S3 storage needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        var endpoint: URL?
        if let text = value("HOT_S3_ENDPOINT") {
            guard let parsed = URL(string: text) else {
                throw BuildStorageError.failed("HOT_S3_ENDPOINT '\(text)' is not a URL")
            }
            endpoint = parsed
        }
        return try S3BuildStorage(
            url: url,
            endpoint: endpoint,
            region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1",
            accessKeyId: accessKeyId,
            secretAccessKey: secret,
            sessionToken: value("AWS_SESSION_TOKEN"),
            httpClient: httpClient,
            logger: logger
        )
    }

    // MARK: BuildStorage

    /// PUTs the file, streamed from disk in 64 KiB chunks; the file is left in place for the caller to remove.
    public func store(file: URL, size: Int64, key: String) async throws -> String {
        let target = location.appending(key)
        guard target.key != location.key, !target.key.isEmpty else {
            throw BuildStorageError.failed("S3 store: empty key")
        }
        logger.debug("S3 PUT", metadata: ["s3.path": "\(target.url)", "s3.size": "\(size)"])
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
                let actual = try await handle.info().size
                guard actual == size else {
                    throw BuildStorageError.failed("S3 store: \(file.path) has \(actual) bytes, expected \(size)")
                }
                var request = makeRequest(method: "PUT", target: target, payloadHash: SigV4Signer.unsignedPayload)
                request.body = .stream(
                    handle.readChunks(in: 0..<size, chunkLength: .bytes(Self.chunkLength)),
                    length: .known(size)
                )
                let response = try await httpClient.execute(request, timeout: uploadTimeout, logger: logger)
                try await Self.expectSuccess(response, operation: "PUT", path: target.url)
                _ = try await response.body.collect(upTo: Self.maxErrorBody)
            }
        } catch let error as BuildStorageError {
            throw error
        } catch {
            throw BuildStorageError.failed("S3 PUT \(target.url): \(error)")
        }
        return target.url
    }

    /// GETs the object. The returned body streams the response as it arrives and can be written once;
    /// dropping it unwritten cancels the download.
    public func open(path: String) async throws -> StoredArchive {
        let target = try Self.objectLocation(path)
        let response = try await send("GET", target)
        if response.status.code == 404 {
            let code = await Self.errorCode(response)
            if code == nil || code == "NoSuchKey" { throw BuildStorageError.notFound(path) }
            throw BuildStorageError.failed("S3 GET \(target.url): 404 \(code!)")
        }
        try await Self.expectSuccess(response, operation: "GET", path: target.url)
        guard let length = response.headers.first(name: "content-length").flatMap({ Int64($0) }), length >= 0 else {
            throw BuildStorageError.failed("S3 GET \(target.url): response has no Content-Length")
        }
        let body = response.body
        let url = target.url
        return StoredArchive(
            size: length,
            body: ResponseBody(contentLength: Int(length)) { writer in
                var received: Int64 = 0
                for try await chunk in body {
                    received += Int64(chunk.readableBytes)
                    try await writer.write(chunk)
                }
                guard received == length else {
                    throw BuildStorageError.failed("S3 GET \(url): got \(received) of \(length) bytes")
                }
                try await writer.finish(nil)
            }
        )
    }

    /// A bodiless signed request; failing to reach S3 is a `.failed` naming the request.
    private func send(_ method: String, _ target: S3Location) async throws -> HTTPClientResponse {
        logger.debug("S3 \(method)", metadata: ["s3.path": "\(target.url)"])
        do {
            return try await httpClient.execute(
                makeRequest(method: method, target: target, payloadHash: SigV4Signer.emptyPayloadHash),
                timeout: requestTimeout, logger: logger)
        } catch {
            throw BuildStorageError.failed("S3 \(method) \(target.url): \(error)")
        }
    }

    /// DELETEs the object; a missing one is not an error.
    public func delete(path: String) async throws {
        let target = try Self.objectLocation(path)
        let response = try await send("DELETE", target)
        if response.status.code == 404 {
            _ = await Self.errorCode(response)
            return
        }
        try await Self.expectSuccess(response, operation: "DELETE", path: target.url)
        // The object is deleted; the body (normally empty) is read only so the connection can be
        // reused, and one that cannot be read changes nothing.
        _ = try? await response.body.collect(upTo: Self.maxErrorBody)
    }

    // MARK: Multipart (S3's own multipart upload API)

    /// CreateMultipartUpload: `POST key?uploads`; S3's UploadId.
    public func startMultipart(key: String, contentType: String?) async throws -> String {
        let target = try objectKey(key)
        let headers = contentType.map { [("content-type", $0)] } ?? []
        let body = try await call("POST", target, query: [("uploads", "")], headers: headers, operation: "CreateMultipartUpload")
        guard let id = Self.element("UploadId", in: body) else {
            throw BuildStorageError.failed("S3 CreateMultipartUpload \(target.url): no UploadId in the answer")
        }
        return id
    }

    /// UploadPart: `PUT key?partNumber=N&uploadId=…`, the file streamed from disk; S3's ETag.
    public func storePart(file: URL, size: Int64, uploadId: String, key: String, number: Int) async throws -> String {
        let target = try objectKey(key)
        do {
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
                var request = makeRequest(method: "PUT", target: target, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                                          payloadHash: SigV4Signer.unsignedPayload)
                request.body = .stream(handle.readChunks(in: 0..<size, chunkLength: .bytes(Self.chunkLength)), length: .known(size))
                let response = try await httpClient.execute(request, timeout: uploadTimeout, logger: logger)
                try await Self.expectSuccess(response, operation: "UploadPart", path: target.url)
                _ = try? await response.body.collect(upTo: Self.maxErrorBody)
                guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
                    throw BuildStorageError.failed("S3 UploadPart \(target.url): no ETag in the answer")
                }
                return etag
            }
        } catch let error as BuildStorageError {
            throw error
        } catch {
            throw BuildStorageError.failed("S3 UploadPart \(target.url): \(error)")
        }
    }

    /// CompleteMultipartUpload: `POST key?uploadId=…` with the parts' numbers and ETags. S3 may
    /// answer 200 and still report an error in the body: that is a failure too.
    public func completeMultipart(uploadId: String, key: String, parts: [(number: Int, tag: String)]) async throws -> String {
        let target = try objectKey(key)
        var xml = "<CompleteMultipartUpload>"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.xmlEscaped(part.tag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = try await call("POST", target, query: [("uploadId", uploadId)], headers: [("content-type", "application/xml")],
                                  body: Data(xml.utf8), operation: "CompleteMultipartUpload")
        if body.contains("<Error>") {
            throw BuildStorageError.failed("S3 CompleteMultipartUpload \(target.url): \(Self.errorCode(xml: body) ?? "error")")
        }
        return target.url
    }

    /// AbortMultipartUpload: `DELETE key?uploadId=…`; an upload S3 no longer has is not an error.
    public func abortMultipart(uploadId: String, key: String) async throws {
        let target = try objectKey(key)
        do {
            _ = try await call("DELETE", target, query: [("uploadId", uploadId)], operation: "AbortMultipartUpload")
        } catch BuildStorageError.failed(let reason) where reason.contains("NoSuchUpload") {
            return
        }
    }

    /// The location of a new object `key` under the prefix.
    private func objectKey(_ key: String) throws -> S3Location {
        let target = location.appending(key)
        guard target.key != location.key, !target.key.isEmpty else { throw BuildStorageError.failed("S3: empty key") }
        return target
    }

    /// A signed request with a small body (or none), its answer's body as text (at most 64 KiB).
    private func call(_ method: String, _ target: S3Location, query: [(String, String)], headers: [(String, String)] = [],
                      body: Data? = nil, operation: String) async throws -> String {
        let payload = body ?? Data()
        var request = makeRequest(method: method, target: target, query: query, headers: headers,
                                  payloadHash: SigV4Signer.hex(SHA256.hash(data: payload)))
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: requestTimeout, logger: logger)
        } catch {
            throw BuildStorageError.failed("S3 \(operation) \(target.url): \(error)")
        }
        try await Self.expectSuccess(response, operation: operation, path: target.url)
        let buffer = try await response.body.collect(upTo: Self.maxErrorBody)
        return String(buffer: buffer)
    }

    /// The text of the first `<name>…</name>` of an XML answer.
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else {
            return nil
        }
        let text = xml[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    // MARK: Requests

    /// A signed request for an object (or, with an empty key, the bucket itself).
    func makeRequest(
        method: String,
        target: S3Location,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        payloadHash: String,
        date: Date = Date()
    ) -> HTTPClientRequest {
        let scheme = endpoint.scheme ?? "https"
        var host = endpoint.host ?? ""
        if let port = endpoint.port, port != (scheme == "https" ? 443 : 80) { host += ":\(port)" }
        var basePath = endpoint.path
        while basePath.hasSuffix("/") { basePath.removeLast() }
        let objectPath = target.key.isEmpty ? "" : "/" + target.key
        let path: String
        if pathStyle {
            path = basePath + "/" + target.bucket + objectPath
        } else {
            host = target.bucket + "." + host
            path = basePath + (objectPath.isEmpty ? "/" : objectPath)
        }
        let signed = signer.sign(method: method, host: host, path: path, query: query, headers: headers, payloadHash: payloadHash, date: date)
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(host)\(SigV4Signer.canonicalURI(path))\(queryText)")
        request.method = .init(rawValue: method)
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Throws `.failed` with S3's error code for a non-2xx response.
    static func expectSuccess(_ response: HTTPClientResponse, operation: String, path: String) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let code = await errorCode(response) ?? response.status.reasonPhrase
        throw BuildStorageError.failed("S3 \(operation) \(path): \(response.status.code) \(code)")
    }

    /// The `<Code>` of an S3 XML error body, if any (reads at most 64 KiB of it).
    static func errorCode(_ response: HTTPClientResponse) async -> String? {
        guard let buffer = try? await response.body.collect(upTo: maxErrorBody) else { return nil }
        return errorCode(xml: String(buffer: buffer))
    }

    /// The text between the first `<Code>` and `</Code>`.
    public static func errorCode(xml: String) -> String? {
        guard let start = xml.range(of: "<Code>"),
            let end = xml.range(of: "</Code>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        let code = xml[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return code.isEmpty ? nil : code
    }

    /// The bucket and object key of a storage path, which must name an object.
    static func objectLocation(_ path: String) throws -> S3Location {
        let target = try S3Location(parsing: path)
        guard !target.key.isEmpty else { throw BuildStorageError.failed("S3 path '\(path)' names no object") }
        return target
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

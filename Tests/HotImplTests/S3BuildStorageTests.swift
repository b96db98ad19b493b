import AsyncHTTPClient
import Foundation
import HotImpl
import Logging
import Testing

/// Against a real local S3: moto, started per test (see `MotoServer`), with signature checking on.
/// Skipped only when `HOT_SKIP_S3_TESTS` is set (its value is the reason); by default they run.
@Suite(
    "S3BuildStorage against moto",
    .enabled(if: MotoServer.skipReason == nil, "S3 tests skipped: HOT_SKIP_S3_TESTS is set")
)
struct S3BuildStorageTests {
    static let logger = Logger(label: "hot.tests.s3-storage")
    static let bucket = "hot-builds"

    static func storage(_ moto: MotoServer, prefix: String = "ci/builds", secret: String? = nil) throws -> S3BuildStorage {
        try S3BuildStorage(
            url: "s3://\(bucket)/\(prefix)",
            endpoint: moto.endpoint,
            region: moto.region,
            accessKeyId: moto.accessKeyId,
            secretAccessKey: secret ?? moto.secretAccessKey,
            sessionToken: nil,
            httpClient: .shared,
            logger: logger
        )
    }

    /// A temp file of `count` random bytes.
    static func randomFile(_ count: Int) throws -> (URL, [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hot-s3-upload-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        return (url, bytes)
    }

    @Test("3 MB: store, open gives identical bytes, delete, then open is notFound")
    func roundTrip() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let storage = try Self.storage(moto)
            #expect(storage.backend == "s3")
            let (file, bytes) = try Self.randomFile(3 * 1024 * 1024)
            defer { try? FileManager.default.removeItem(at: file) }

            let path = try await storage.store(file: file, size: Int64(bytes.count), key: "proj-1/build-1.hot.zip")
            #expect(path == "s3://hot-builds/ci/builds/proj-1/build-1.hot.zip")
            #expect(FileManager.default.fileExists(atPath: file.path))  // the caller's temp file is left in place

            let archive = try await storage.open(path: path)
            #expect(archive.size == Int64(bytes.count))
            #expect(archive.body.contentLength == bytes.count)
            let read = try await CollectingBodyWriter.collect(archive.body)
            #expect(read.bytes.count == bytes.count)
            #expect(read.bytes == bytes)
            #expect(read.chunks > 1)
            #expect(read.finished)

            try await storage.delete(path: path)
            await #expect(throws: BuildStorageError.notFound(path)) { try await storage.open(path: path) }
            try await storage.delete(path: path)  // absent is not an error
        }
    }

    @Test("missing key is notFound; missing bucket and wrong size are failures")
    func missing() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let storage = try Self.storage(moto, prefix: "")
            let missing = "s3://hot-builds/nope/none.hot.zip"
            await #expect(throws: BuildStorageError.notFound(missing)) { try await storage.open(path: missing) }

            await #expect(throws: BuildStorageError.failed("S3 GET s3://no-such-bucket/k.zip: 404 NoSuchBucket")) {
                try await storage.open(path: "s3://no-such-bucket/k.zip")
            }

            let (file, bytes) = try Self.randomFile(1000)
            defer { try? FileManager.default.removeItem(at: file) }
            await #expect(throws: BuildStorageError.self) {
                try await storage.store(file: file, size: Int64(bytes.count + 1), key: "p/short.hot.zip")
            }
            let path = try await storage.store(file: file, size: Int64(bytes.count), key: "p/ok.hot.zip")
            #expect(path == "s3://hot-builds/p/ok.hot.zip")
        }
    }

    @Test("moto checks signatures: a wrong secret is refused with SignatureDoesNotMatch")
    func wrongSecret() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let good = try Self.storage(moto)
            let bad = try Self.storage(moto, secret: moto.secretAccessKey + "x")
            let (file, bytes) = try Self.randomFile(10_000)
            defer { try? FileManager.default.removeItem(at: file) }

            let storeError = await #expect(throws: BuildStorageError.self) {
                try await bad.store(file: file, size: Int64(bytes.count), key: "p/b.hot.zip")
            }
            #expect("\(String(describing: storeError))".contains("SignatureDoesNotMatch"))

            let path = try await good.store(file: file, size: Int64(bytes.count), key: "p/b.hot.zip")
            let openError = await #expect(throws: BuildStorageError.self) { try await bad.open(path: path) }
            #expect("\(String(describing: openError))".contains("SignatureDoesNotMatch"))
            await #expect(throws: BuildStorageError.self) { try await bad.delete(path: path) }

            let archive = try await good.open(path: path)
            #expect(try await CollectingBodyWriter.collect(archive.body).bytes == bytes)
        }
    }

    @Test("fromEnvironment reads the AWS variables and HOT_S3_ENDPOINT")
    func fromEnvironment() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let storage = try S3BuildStorage.fromEnvironment(
                url: "s3://\(Self.bucket)/env",
                environment: [
                    "AWS_ACCESS_KEY_ID": moto.accessKeyId,
                    "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey,
                    "AWS_DEFAULT_REGION": "us-east-1",
                    "HOT_S3_ENDPOINT": moto.endpoint.absoluteString,
                ],
                httpClient: .shared,
                logger: Self.logger
            )
            #expect(storage.pathStyle)
            let (file, bytes) = try Self.randomFile(5000)
            defer { try? FileManager.default.removeItem(at: file) }
            let path = try await storage.store(file: file, size: Int64(bytes.count), key: "p/e.hot.zip")
            #expect(path == "s3://hot-builds/env/p/e.hot.zip")
            #expect(try await CollectingBodyWriter.collect(storage.open(path: path).body).bytes == bytes)
        }
    }

    /// Keys are encoded per segment in the URL and in the signature alike. (moto's own signature check
    /// mis-handles '+', '=', '&' and non-ASCII in keys, for boto3 too, so only a space is tried here; the
    /// encoding of those is covered by the signer's botocore-derived vector.)
    @Test("a prefix and key with spaces round-trip")
    func spaces() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let storage = try Self.storage(moto, prefix: "with space")
            let (file, bytes) = try Self.randomFile(2000)
            defer { try? FileManager.default.removeItem(at: file) }
            let path = try await storage.store(file: file, size: Int64(bytes.count), key: "p/a b.hot.zip")
            #expect(path == "s3://hot-builds/with space/p/a b.hot.zip")
            #expect(try await CollectingBodyWriter.collect(storage.open(path: path).body).bytes == bytes)
            try await storage.delete(path: path)
            await #expect(throws: BuildStorageError.notFound(path)) { try await storage.open(path: path) }
        }
    }

    @Test("multipart: parts stored out of order and one replaced join in number order; abort drops an upload")
    func multipart() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let storage = try Self.storage(moto)
            // S3 wants every part but the last to have 5 MiB at least.
            let (first, firstBytes) = try Self.randomFile(5 * 1024 * 1024)
            let (last, lastBytes) = try Self.randomFile(1000)
            let (stale, _) = try Self.randomFile(10)
            defer { for url in [first, last, stale] { try? FileManager.default.removeItem(at: url) } }

            let id = try await storage.startMultipart(key: "files/env/joined", contentType: "video/mp4")
            let staleTag = try await storage.storePart(file: stale, size: 10, uploadId: id, key: "files/env/joined", number: 2)
            let lastTag = try await storage.storePart(file: last, size: 1000, uploadId: id, key: "files/env/joined", number: 2)
            let firstTag = try await storage.storePart(file: first, size: Int64(firstBytes.count), uploadId: id, key: "files/env/joined", number: 1)
            #expect(staleTag != lastTag)
            let path = try await storage.completeMultipart(uploadId: id, key: "files/env/joined", parts: [(1, firstTag), (2, lastTag)])
            #expect(path == "s3://hot-builds/ci/builds/files/env/joined")
            let read = try await CollectingBodyWriter.collect(try await storage.open(path: path).body)
            #expect(read.bytes == firstBytes + lastBytes)

            // Completing with a tag S3 never gave is a failure, not a file.
            let other = try await storage.startMultipart(key: "files/env/never", contentType: nil)
            _ = try await storage.storePart(file: last, size: 1000, uploadId: other, key: "files/env/never", number: 1)
            await #expect(throws: BuildStorageError.self) {
                try await storage.completeMultipart(uploadId: other, key: "files/env/never", parts: [(1, "\"0000\"")])
            }
            try await storage.abortMultipart(uploadId: other, key: "files/env/never")
            await #expect(throws: BuildStorageError.notFound("s3://hot-builds/ci/builds/files/env/never")) {
                try await storage.open(path: "s3://hot-builds/ci/builds/files/env/never")
            }
            // Aborting again is no error.
            try await storage.abortMultipart(uploadId: other, key: "files/env/never")
        }
    }
}

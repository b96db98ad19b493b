import AsyncHTTPClient
import Foundation
import HotImpl
import Logging
import Testing

/// S3 configuration parsing; no network.
@Suite("S3 configuration")
struct S3ConfigurationTests {
    static let logger = Logger(label: "hot.tests.s3-config")

    @Test("s3:// URLs parse into bucket and prefix")
    func parsing() throws {
        #expect(try S3Location(parsing: "s3://bucket") == S3Location(bucket: "bucket", key: ""))
        #expect(try S3Location(parsing: "s3://bucket/") == S3Location(bucket: "bucket", key: ""))
        #expect(try S3Location(parsing: "s3://my.bucket/a/b/") == S3Location(bucket: "my.bucket", key: "a/b"))
        #expect(try S3Location(parsing: "s3://bucket//a//b") == S3Location(bucket: "bucket", key: "a/b"))
        #expect(S3Location(bucket: "b-1", key: "p").appending("x/y.zip").url == "s3://b-1/p/x/y.zip")
        #expect(S3Location(bucket: "b-1", key: "").appending("x/y.zip").url == "s3://b-1/x/y.zip")
    }

    @Test("malformed URLs are refused with a one-line reason")
    func malformed() {
        for url in ["http://bucket/prefix", "bucket/prefix", "s3://", "s3:///prefix", "s3://Bad_Bucket/x", "s3://ab/x"] {
            #expect {
                try S3Location(parsing: url)
            } throws: { error in
                guard case BuildStorageError.failed(let reason) = error else { return false }
                return !reason.isEmpty && !reason.contains("\n")
            }
            #expect(throws: BuildStorageError.self) {
                try S3BuildStorage(
                    url: url,
                    endpoint: nil,
                    region: "us-east-1",
                    accessKeyId: "a",
                    secretAccessKey: "s",
                    sessionToken: nil,
                    httpClient: .shared,
                    logger: Self.logger
                )
            }
        }
    }

    @Test("fromEnvironment: defaults, region order, endpoint, missing credentials")
    func environment() throws {
        let base = ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]
        let aws = try S3BuildStorage.fromEnvironment(url: "s3://bucket/p", environment: base, httpClient: .shared, logger: Self.logger)
        #expect(aws.endpoint.absoluteString == "https://s3.us-east-1.amazonaws.com")
        #expect(!aws.pathStyle)
        #expect(aws.location == S3Location(bucket: "bucket", key: "p"))

        var regional = base
        regional["AWS_DEFAULT_REGION"] = "eu-west-1"
        #expect(
            try S3BuildStorage.fromEnvironment(url: "s3://bucket", environment: regional, httpClient: .shared, logger: Self.logger)
                .endpoint.absoluteString == "https://s3.eu-west-1.amazonaws.com"
        )
        regional["AWS_REGION"] = "eu-central-1"
        #expect(
            try S3BuildStorage.fromEnvironment(url: "s3://bucket", environment: regional, httpClient: .shared, logger: Self.logger)
                .endpoint.absoluteString == "https://s3.eu-central-1.amazonaws.com"
        )

        var local = base
        local["HOT_S3_ENDPOINT"] = "http://127.0.0.1:9000/"
        let minio = try S3BuildStorage.fromEnvironment(url: "s3://bucket", environment: local, httpClient: .shared, logger: Self.logger)
        #expect(minio.endpoint.absoluteString == "http://127.0.0.1:9000")
        #expect(minio.pathStyle)

        local["HOT_S3_ENDPOINT"] = "ftp://127.0.0.1"
        #expect(throws: BuildStorageError.self) {
            try S3BuildStorage.fromEnvironment(url: "s3://bucket", environment: local, httpClient: .shared, logger: Self.logger)
        }
        #expect(throws: BuildStorageError.self) {
            try S3BuildStorage.fromEnvironment(url: "s3://bucket", environment: [:], httpClient: .shared, logger: Self.logger)
        }
    }

    @Test("S3 error codes are read from the XML body")
    func errorCode() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>
            """
        #expect(S3BuildStorage.errorCode(xml: xml) == "NoSuchKey")
        #expect(S3BuildStorage.errorCode(xml: "not xml") == nil)
    }
}

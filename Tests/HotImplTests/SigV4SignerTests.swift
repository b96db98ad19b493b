import Crypto
import Foundation
import HotImpl
import Testing

@Suite("SigV4Signer")
struct SigV4SignerTests {
    /// 2013-05-24T00:00:00Z, the date of AWS's published S3 examples.
    static let exampleDate = Date(timeIntervalSince1970: 1_369_353_600)

    @Test("AWS's published S3 GET Object example: canonical request, string to sign, signature")
    func awsGetObjectExample() {
        let signer = SigV4Signer(
            accessKeyId: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1"
        )
        let signed = signer.sign(
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.exampleDate
        )
        #expect(
            signed.canonicalRequest == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        #expect(
            signed.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """
        )
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(signed.header("x-amz-date") == "20130524T000000Z")
        #expect(signed.header("Authorization") == signed.authorization)
        #expect(signed.header("x-amz-security-token") == nil)
    }

    @Test("AWS's published signing-key derivation example (IAM, 2012-02-15)")
    func awsSigningKeyExample() {
        let key = SigV4Signer.signingKey(
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            shortDate: "20120215",
            region: "us-east-1",
            service: "iam"
        )
        let bytes = key.withUnsafeBytes { Array($0) }
        #expect(SigV4Signer.hex(bytes) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    /// Expected values computed independently with botocore's `S3SigV4Auth` (the AWS SDK for Python).
    @Test("encoded path segments, sorted query, session token, collapsed header spaces, UNSIGNED-PAYLOAD")
    func encodingAndSessionToken() {
        let signer = SigV4Signer(
            accessKeyId: "AKIDEXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: "FQoGZXIvYXdzEXAMPLETOKEN/+=",
            region: "eu-west-1"
        )
        let signed = signer.sign(
            method: "PUT",
            host: "127.0.0.1:5000",
            path: "/my-bucket/builds/my dir/a+b~cé.zip",
            query: [("prefix", "a/b"), ("list-type", "2"), ("uploads", "")],
            headers: [("X-Amz-Meta-Note", "  two   spaces  ")],
            payloadHash: SigV4Signer.unsignedPayload,
            date: Date(timeIntervalSince1970: 1_704_164_645)  // 2024-01-02T03:04:05Z
        )
        #expect(
            signed.canonicalRequest == """
                PUT
                /my-bucket/builds/my%20dir/a%2Bb~c%C3%A9.zip
                list-type=2&prefix=a%2Fb&uploads=
                host:127.0.0.1:5000
                x-amz-content-sha256:UNSIGNED-PAYLOAD
                x-amz-date:20240102T030405Z
                x-amz-meta-note:two spaces
                x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN/+=

                host;x-amz-content-sha256;x-amz-date;x-amz-meta-note;x-amz-security-token
                UNSIGNED-PAYLOAD
                """
        )
        #expect(signed.signature == "76d0e640ea2069dd32282754615fd60af7db5cf5ad2db0f3ffa16e664e3d3ce6")
        #expect(signed.header("x-amz-security-token") == "FQoGZXIvYXdzEXAMPLETOKEN/+=")
    }

    @Test("a different secret, date or region changes the signature")
    func sensitivity() {
        func signature(secret: String = "s", region: String = "us-east-1", date: Date = SigV4SignerTests.exampleDate) -> String {
            SigV4Signer(accessKeyId: "AK", secretAccessKey: secret, region: region)
                .sign(method: "GET", host: "h", path: "/b/k", payloadHash: SigV4Signer.emptyPayloadHash, date: date)
                .signature
        }
        let base = signature()
        #expect(base.count == 64)
        #expect(signature(secret: "t") != base)
        #expect(signature(region: "eu-west-1") != base)
        #expect(signature(date: Self.exampleDate.addingTimeInterval(1)) != base)
    }

    @Test("URI encoding keeps only unreserved characters")
    func uriEncoding() {
        #expect(SigV4Signer.uriEncode("AZaz09-_.~") == "AZaz09-_.~")
        #expect(SigV4Signer.uriEncode("a b/c=d&e+f*") == "a%20b%2Fc%3Dd%26e%2Bf%2A")
        #expect(SigV4Signer.canonicalURI("/bucket/a b/c") == "/bucket/a%20b/c")
        #expect(SigV4Signer.canonicalURI("/") == "/")
        let stamps = SigV4Signer.timestamps(Self.exampleDate)
        #expect(stamps.amzDate == "20130524T000000Z")
        #expect(stamps.shortDate == "20130524")
    }
}

import Crypto
import Foundation

/// AWS Signature Version 4 with header authorisation (`Authorization: AWS4-HMAC-SHA256 …`).
///
/// Pure: the same inputs always give the same headers, so every step (canonical request, string to sign,
/// signing key, signature) is unit-testable against published vectors. Paths are given *unencoded*
/// ("/bucket/my file.zip"); ``canonicalURI(_:)`` encodes each segment once, as S3 expects, and the caller
/// must send exactly that encoded path.
public struct SigV4Signer: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var region: String
    public var service: String

    /// `x-amz-content-sha256` value for a body whose hash is not part of the signature.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let algorithm = "AWS4-HMAC-SHA256"

    public init(
        accessKeyId: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        region: String,
        service: String = "s3"
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// Everything a signature is made of; `headers` is what to send (the caller's plus host, x-amz-date,
    /// x-amz-content-sha256, x-amz-security-token when present, and authorization).
    public struct Signed: Sendable {
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String

        /// The value of a header in `headers` (case-insensitive), if any.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Signs one request.
    /// - Parameters:
    ///   - method: HTTP method, e.g. "GET".
    ///   - host: the Host header value as sent (with ":port" when not the scheme's default).
    ///   - path: the unencoded absolute path, e.g. "/bucket/key".
    ///   - query: unencoded query parameters (order does not matter).
    ///   - headers: further headers to sign and send (e.g. Range, Content-Type).
    ///   - payloadHash: hex SHA-256 of the body, or ``unsignedPayload``.
    ///   - date: the signing time.
    public func sign(
        method: String,
        host: String,
        path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        payloadHash: String,
        date: Date
    ) -> Signed {
        let (amzDate, shortDate) = Self.timestamps(date)
        var toSign: [(name: String, value: String)] = [("host", host)]
        for (name, value) in headers where !Self.isManaged(name) { toSign.append((name, value)) }
        toSign.append(("x-amz-content-sha256", payloadHash))
        toSign.append(("x-amz-date", amzDate))
        if let sessionToken, !sessionToken.isEmpty { toSign.append(("x-amz-security-token", sessionToken)) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(toSign)
        let canonicalRequest = [
            method.uppercased(),
            Self.canonicalURI(path),
            Self.canonicalQuery(query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(shortDate)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            Self.algorithm,
            amzDate,
            scope,
            Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        let key = Self.signingKey(secretAccessKey: secretAccessKey, shortDate: shortDate, region: region, service: service)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        let authorization =
            "\(Self.algorithm) Credential=\(accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"

        var sent = toSign
        sent.append(("authorization", authorization))
        return Signed(
            headers: sent,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            authorization: authorization
        )
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    public static func signingKey(secretAccessKey: String, shortDate: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secretAccessKey).utf8))
        for part in [shortDate, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The path with each segment URI-encoded (S3 rules: encoded once, "/" kept).
    public static func canonicalURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        return absolute.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(String($0)) }
            .joined(separator: "/")
    }

    /// Query parameters encoded and sorted by name, then value.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a, b) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// AWS URI encoding: every byte but A–Z a–z 0–9 - _ . ~ becomes %XX (upper-case hex).
    public static func uriEncode(_ string: String) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%"
                out.unicodeScalars.append(hexDigitsUpper[Int(byte >> 4)])
                out.unicodeScalars.append(hexDigitsUpper[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// A–Z a–z 0–9 - _ . ~
    static func isUnreserved(_ byte: UInt8) -> Bool {
        let upper: ClosedRange<UInt8> = 0x41...0x5A
        let lower: ClosedRange<UInt8> = 0x61...0x7A
        let digit: ClosedRange<UInt8> = 0x30...0x39
        return upper.contains(byte) || lower.contains(byte) || digit.contains(byte) || unreservedMarks.contains(byte)
    }

    private static let unreservedMarks: Set<UInt8> = [0x2D, 0x5F, 0x2E, 0x7E]  // - _ . ~

    /// ("yyyyMMdd'T'HHmmss'Z'", "yyyyMMdd") in UTC.
    public static func timestamps(_ date: Date) -> (amzDate: String, shortDate: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let short = pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
        return (short + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z", short)
    }

    /// Lower-case hex of a digest or MAC.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out = ""
        for byte in bytes {
            out.unicodeScalars.append(hexDigitsLower[Int(byte >> 4)])
            out.unicodeScalars.append(hexDigitsLower[Int(byte & 0xF)])
        }
        return out
    }

    static func hex(_ digest: SHA256.Digest) -> String { hex(Array(digest)) }
    static func hex(_ mac: HMAC<SHA256>.MAC) -> String { hex(Array(mac)) }

    /// Canonical header block (each "name:value\n") and the signed-headers list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            merged[name.lowercased(), default: []].append(normalizeHeaderValue(value))
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    /// Trims and collapses runs of spaces/tabs into one space.
    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Headers the signer itself sets; a caller's copy is ignored.
    static func isManaged(_ name: String) -> Bool {
        ["host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization"].contains(name.lowercased())
    }

    private static let hexDigitsLower = Array("0123456789abcdef".unicodeScalars)
    private static let hexDigitsUpper = Array("0123456789ABCDEF".unicodeScalars)
}

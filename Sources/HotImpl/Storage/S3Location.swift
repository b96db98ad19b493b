import Foundation

/// A bucket and a key (or key prefix) parsed from `s3://bucket/key…`.
///
/// Parsed by hand rather than with `URL`, which would treat the bucket as a host name.
public struct S3Location: Sendable, Equatable {
    public var bucket: String
    /// The key or key prefix, without leading or trailing "/" ("" for the bucket's root).
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `s3://bucket`, `s3://bucket/`, `s3://bucket/some/prefix`.
    /// Throws `BuildStorageError.failed` with a one-line reason when malformed.
    public init(parsing string: String) throws {
        let scheme = "s3://"
        guard string.lowercased().hasPrefix(scheme) else {
            throw BuildStorageError.failed("S3 URL '\(string)' must start with s3:// (s3://bucket/prefix)")
        }
        let rest = string.dropFirst(scheme.count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard !bucket.isEmpty else {
            throw BuildStorageError.failed("S3 URL '\(string)' names no bucket (s3://bucket/prefix)")
        }
        guard Self.isValidBucketName(bucket) else {
            throw BuildStorageError.failed(
                "S3 URL '\(string)': '\(bucket)' is not a valid bucket name (3–63 of a–z, 0–9, '.', '-')"
            )
        }
        let key = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        self.init(bucket: bucket, key: key)
    }

    /// `s3://bucket/key`.
    public var url: String { key.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(key)" }

    /// This location's key joined with `key` (a prefix plus an object key).
    public func appending(_ key: String) -> S3Location {
        let tail = key.split(separator: "/").joined(separator: "/")
        return S3Location(bucket: bucket, key: self.key.isEmpty ? tail : "\(self.key)/\(tail)")
    }

    /// S3's rules for new buckets: 3–63 characters of lower-case letters, digits, '.' and '-',
    /// starting and ending with a letter or digit.
    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }
}

import Logging

/// The line every answered request logs at `info` (`APIMiddleware`): `request`, with its method,
/// path, status and duration as metadata beside the request's id.
///
/// Through `HotLogHandler` it is written straight into bytes (`HotLogHandler.log(_:)`), the very
/// line `log(event:)` makes of `metadata`, without the dictionary, the sort or the value strings;
/// through any other handler, as a `Logger.info` with `metadata`.
public struct AccessLine: Sendable {
    public var method: String
    public var path: String
    public var status: Int
    public var duration: Duration

    /// The message, and the source (the module `Logger.info` would name for `APIMiddleware`).
    public static let message: Logger.Message = "request"
    public static let source = "HotRuntime"
    /// The keys of the line: `metadata`'s, and the request id the logger carries.
    public static let keys: Set<String> = ["duration_ms", "method", "path", "request_id", "status"]

    public init(method: String, path: String, status: Int, duration: Duration) {
        self.method = method
        self.path = path
        self.status = status
        self.duration = duration
    }

    /// Its fields as metadata, for a log handler other than `HotLogHandler`.
    public var metadata: Logger.Metadata {
        var duration: [UInt8] = []
        appendDuration(to: &duration)
        return [
            "duration_ms": .string(String(decoding: duration, as: UTF8.self)),
            "method": .string(method),
            "path": .string(path),
            "status": .stringConvertible(status),
        ]
    }

    /// The duration in milliseconds, to the microsecond (`0.042`, `12.345`).
    func appendDuration(to bytes: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        bytes.appendDecimal(micros / 1000)
        bytes.append(UInt8(ascii: "."))
        bytes.appendDecimal(micros % 1000, width: 3)
    }
}

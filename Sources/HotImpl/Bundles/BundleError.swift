/// A problem with an uploaded build bundle (zip, manifest or cron expression).
/// The server turns it into a 400 response carrying `message`.
public struct BundleError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Human-readable explanation, naming the offending entry, field or expression.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

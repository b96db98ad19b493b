import Foundation
import HotRuntime

extension TestRuntime {
    /// One `POST` the test runtime received, as it arrived.
    public struct ReceivedRun: Sendable {
        /// 1 for the first request the runtime received, then 2, …
        public let number: Int
        /// The body parsed as JSON (`.null` when it is not JSON; `rawBody` has the bytes).
        public let body: JSONValue
        public let rawBody: Data
        /// The `Authorization` header, if any.
        public let authorization: String?
        public let contentType: String?
        /// The W3C `traceparent` header, if any (sent when the server traces).
        public let traceparent: String?

        public var runId: String? { body["run_id"]?.stringValue }
        public var runType: String? { body["run_type"]?.stringValue }
        public var handlerVar: String? { body["handler"]?["var"]?.stringValue }
        public var eventType: String? { body["event"]?["event_type"]?.stringValue }
    }
}

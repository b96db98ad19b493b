import Foundation
import Synchronization
import Hummingbird
import NIOCore

/// One Server-Sent Event.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String
    /// The `data:` payload (JSON text for every event type of the spec).
    public var data: String
    public var id: String?

    public init(event: String, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    /// The frame of a live event: its name and its data as JSON.
    public init(_ payload: some LiveEvent, id: String? = nil) {
        self.init(event: type(of: payload).event, data: payload.json, id: id)
    }

    /// A comment line (`: keep-alive`): keeps idle connections open; clients ignore it.
    public static func comment(_ text: String) -> ServerSentEvent {
        ServerSentEvent(event: "", data: text)
    }

    /// The event as it goes on the wire: `id:`, `event:`, `data:` (one line per line of data), a
    /// blank line; LF only.
    public var wireFormat: String {
        if event.isEmpty { return ": \(data)\n\n" }
        var text = ""
        if let id { text += "id: \(id)\n" }
        text += "event: \(event)\n"
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }
}

/// The body of an SSE operation: a sequence of events written as they come, until it ends or the
/// client goes away; `onEnd` runs then, either way (e.g. to drop a subscription) — also when the
/// body is never written at all (the client left before the response head went out).
public struct EventStream: Sendable {
    let write: @Sendable (inout any ResponseBodyWriter) async throws -> Void

    /// Runs its action once: when the body ends, or when the last reference goes.
    final class EndHook: Sendable {
        private let action: Mutex<(@Sendable () -> Void)?>

        init(_ action: @escaping @Sendable () -> Void) {
            self.action = Mutex(action)
        }

        func run() {
            action.withLock { action in
                defer { action = nil }
                return action
            }?()
        }

        deinit { run() }
    }

    public init<Events: AsyncSequence & Sendable>(events: Events, onEnd: @escaping @Sendable () -> Void = {})
    where Events.Element == ServerSentEvent, Events.Failure == Never {
        let hook = EndHook(onEnd)
        write = { writer in
            defer { hook.run() }
            for await event in events {
                try await writer.write(ByteBuffer(string: event.wireFormat))
            }
            try await writer.finish(nil)
        }
    }

    public func response(status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: status, headers: headers, body: ResponseBody(write))
    }
}

/// The `data` of one event a live feed sends: a type generated from a schema that the spec's
/// `x-hot-sse-events` names, which also names the event. The server builds every frame's data
/// through one of these, so what it sends is what the spec says.
public protocol LiveEvent: JSONWritable, Sendable {
    /// The SSE event name (`event:` line), e.g. `run:start`.
    static var event: String { get }
}

extension LiveEvent {
    /// The event's data as JSON text (the `data:` line).
    public var json: String { String(decoding: JSONOutput.encode(self), as: UTF8.self) }
}

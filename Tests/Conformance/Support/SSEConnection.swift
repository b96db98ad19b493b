import AsyncHTTPClient
import Foundation
import Generated
import HotRuntime
import HotTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// One frame of a `text/event-stream` answer; a comment (`: keep-alive`) has the event name ":".
struct SSEFrame: Sendable, CustomStringConvertible {
    var id: String?
    var event: String
    var data: String

    var json: JSONValue? { try? JSONValue.parse(Data(data.utf8)) }
    var description: String { "\(event) \(data)" }
}

/// An open SSE response, read frame by frame as it arrives.
final class SSEConnection: Sendable {
    let status: Int
    let headers: HTTPHeaders
    /// The raw bytes of every frame, in order, to check the wire format.
    private let frames: AsyncThrowingStream<(SSEFrame, String), any Error>
    private let reader: Task<Void, Never>

    private init(status: Int, headers: HTTPHeaders, frames: AsyncThrowingStream<(SSEFrame, String), any Error>, reader: Task<Void, Never>) {
        self.status = status
        self.headers = headers
        self.frames = frames
        self.reader = reader
    }

    /// Opens the feed; every frame read is checked against `operationId`'s events (`SSEFrameCheck`),
    /// a mismatch recorded as an issue at `location`.
    static func open(_ request: HTTPClientRequest, operationId: String?, location: SourceLocation) async throws -> SSEConnection {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let (frames, continuation) = AsyncThrowingStream.makeStream(of: (SSEFrame, String).self)
        let checked = response.status == .ok ? operationId : nil
        let reader = Task {
            var pending = ""
            do {
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let raw = String(pending[..<end.upperBound])
                        pending.removeSubrange(..<end.upperBound)
                        let frame = parse(raw)
                        if let checked {
                            for problem in SSEFrameCheck.problems(frame, operationId: checked) {
                                Issue.record(Comment(rawValue: problem), sourceLocation: location)
                            }
                        }
                        continuation.yield((frame, raw))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return SSEConnection(status: Int(response.status.code), headers: response.headers, frames: frames, reader: reader)
    }

    static func parse(_ raw: String) -> SSEFrame {
        var frame = SSEFrame(id: nil, event: "message", data: "")
        var data: [String] = []
        for line in raw.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix(":") { return SSEFrame(id: nil, event: ":", data: String(line.dropFirst()).trimmingCharacters(in: .whitespaces)) }
            if line.hasPrefix("id: ") { frame.id = String(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { frame.event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        frame.data = data.joined(separator: "\n")
        return frame
    }

    /// The next frame (comments included) with its raw text, or nil when the stream ended.
    func nextRaw(within limit: Duration = .seconds(20)) async throws -> (SSEFrame, String)? {
        let frames = self.frames
        return try await Deadline.within(limit, waitingFor: "the next SSE frame") {
            var iterator = frames.makeAsyncIterator()
            return try await iterator.next()
        }
    }

    /// The next frame that is not a comment.
    func next(within limit: Duration = .seconds(20)) async throws -> SSEFrame? {
        while let (frame, _) = try await nextRaw(within: limit) {
            if frame.event != ":" { return frame }
        }
        return nil
    }

    /// Frames up to and including the first that `stop` accepts (comments skipped).
    func frames(until stop: (SSEFrame) -> Bool, within limit: Duration = .seconds(20)) async throws -> [SSEFrame] {
        var seen: [SSEFrame] = []
        while let frame = try await next(within: limit) {
            seen.append(frame)
            if stop(frame) { return seen }
        }
        throw TestFailure("the stream ended before the awaited frame; saw \(seen)")
    }

    func close() {
        reader.cancel()
    }

    deinit {
        reader.cancel()
    }
}

extension Tenant {
    /// Opens an SSE request (`GET` a feed, or `POST` subscribe-with-event with a JSON body). Its
    /// operation must document the status it answers (the body, a stream, is the caller's to read).
    func sse(_ method: HTTPMethod = .GET, _ path: String, body: String? = nil, lastEventId: String? = nil,
             token: String? = nil, fileID: String = #fileID, filePath: String = #filePath, line: Int = #line, column: Int = #column) async throws -> SSEConnection {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token ?? self.token)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventId { request.headers.add(name: "Last-Event-ID", value: lastEventId) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let location = SourceLocation(fileID: fileID, filePath: filePath, line: line, column: column)
        let operation = ResponseSchemaCheck.operation(method: method.rawValue, path: path)
        let connection = try await SSEConnection.open(request, operationId: operation?.operationId, location: location)
        if let operation {
            if !OperationSchemas.documentedStatuses(operationId: operation.operationId).contains(connection.status) {
                Issue.record("\(method) \(path) → \(connection.status): \(operation.operationId) documents no \(connection.status) response",
                             sourceLocation: location)
            }
        } else {
            Issue.record("\(method) \(path): no operation of the spec has this method and path", sourceLocation: location)
        }
        return connection
    }
}

import Foundation
import HotImpl
import HotRuntime
import Hummingbird
import Logging

/// A real HTTP server on 127.0.0.1 that speaks the runtime protocol (docs/runtime-protocol.md)
/// with scripted answers, for tests of whatever sends runs to a runtime.
///
/// Point `HOT_RUNTIME_URL` (or `HTTPRuntime(url:)`) at `url`. Each `POST` is recorded first (see `received`
/// and `run(_:within:)`), then answered as `handler` decides for it. `stop()` ends the server; answers still
/// held (`.hang`, gates) are abandoned.
///
/// ```swift
/// let runtime = try await TestRuntime.start { run in
///     run.handlerVar == "boom" ? .fail(error: "boom") : .succeed(result: ["ok": true])
/// }
/// defer { Task { await runtime.stop() } }   // or await runtime.stop() at the end
/// ```
public final class TestRuntime: Sendable {
    public typealias Handler = @Sendable (ReceivedRun) async -> Behaviour

    /// `http://127.0.0.1:<port>`
    public let baseURL: String
    /// Where runs are posted: `baseURL` + `/run`.
    public var url: String { baseURL + "/run" }

    private let recorder: Recorder
    private let stopped: Gate
    private let server: Task<Void, Never>

    private init(baseURL: String, recorder: Recorder, stopped: Gate, server: Task<Void, Never>) {
        self.baseURL = baseURL
        self.recorder = recorder
        self.stopped = stopped
        self.server = server
    }

    /// Starts a runtime that answers every run the same way.
    public static func start(_ behaviour: Behaviour, logger: Logger = TestRuntime.quietLogger) async throws -> TestRuntime {
        try await start(logger: logger) { _ in behaviour }
    }

    /// Starts a runtime on a free port of 127.0.0.1 that answers each run as `handler` says; returns once it listens.
    public static func start(logger: Logger = TestRuntime.quietLogger, handler: @escaping Handler) async throws -> TestRuntime {
        let recorder = Recorder()
        let stopped = Gate()
        let router = Router()
        router.post("run") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            let run = recorder.record(
                body: Data(body.readableBytesView), authorization: request.headers[.authorization],
                contentType: request.headers[.contentType], traceparent: request.headers[HTTPField.Name("traceparent")!])
            return try await respond(await handler(run), stopped: stopped)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let server = Task {
            do {
                try await app.run()
            } catch {
                logger.error("test runtime stopped", metadata: ["error": "\(error)"])
            }
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            server.cancel()
            throw StartError()
        }
        return TestRuntime(baseURL: "http://127.0.0.1:\(port)", recorder: recorder, stopped: stopped, server: server)
    }

    /// The server could not listen.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String { "the test runtime could not start listening on 127.0.0.1" }
    }

    /// A logger that drops everything (the default: the server's own info logs are noise in test output).
    public static let quietLogger = Logger(label: "hot.test-runtime") { _ in SwiftLogNoOpLogHandler() }

    /// Every request received so far, in arrival order.
    public var received: [ReceivedRun] { recorder.runs }

    /// The `number`-th request received (1-based), waiting for it to arrive if need be, but not longer than `limit`.
    public func run(_ number: Int, within limit: Duration = .seconds(10)) async throws -> ReceivedRun {
        let recorder = self.recorder
        return try await Deadline.within(limit, waitingFor: "request \(number) to reach the test runtime") {
            try await recorder.run(number)
        }
    }

    /// Stops the server: held answers are abandoned, then the listener and connections close. Idempotent.
    public func stop() async {
        stopped.release()
        server.cancel()
        await server.value
    }

    // MARK: Answering

    private static func respond(_ behaviour: Behaviour, stopped: Gate) async throws -> Response {
        switch behaviour {
        case .succeed(let result, let data):
            return stream(data.map(Step.data) + [.result(result)], stopped: stopped)
        case .fail(let error, let data):
            return stream(data.map(Step.data) + [.error(error)], stopped: stopped)
        case .stream(let steps):
            return stream(steps, stopped: stopped)
        case .garbage:
            return stream([.raw("this is not JSON\n")], stopped: stopped)
        case .plainJSON(let value):
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try value.serialized())))
        case .status(let code, let body):
            return Response(
                status: .init(code: code), headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        case .hang:
            await stopped.wait()
            return Response(status: .serviceUnavailable)
        case .gated(let gate, let then):
            guard await passes(gate, unless: stopped) else { return Response(status: .serviceUnavailable) }
            return try await respond(then, stopped: stopped)
        }
    }

    private static func stream(_ steps: [Step], stopped: Gate) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                for step in steps {
                    let text: String
                    switch step {
                    case .wait(let gate):
                        // Stopped while held: abandon the stream (the connection closes mid-answer).
                        guard await passes(gate, unless: stopped) else { throw CancellationError() }
                        continue
                    case .raw(let raw):
                        text = raw
                    case .data(let data):
                        text = try line(["type": "data", "data_type": .string(data.dataType), "payload": data.payload])
                    case .result(let result):
                        text = try line(["type": "result", "result": result])
                    case .error(let error):
                        text = try line(["type": "error", "error": error])
                    }
                    // Each write is flushed on its own, so every step reaches the client as it is written.
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
    }

    private static func line(_ object: JSONValue) throws -> String {
        String(decoding: try object.serialized(), as: UTF8.self) + "\n"
    }

    /// Waits for `gate`; false when `stopped` opened (or the task was cancelled) first.
    private static func passes(_ gate: Gate, unless stopped: Gate) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await gate.wait()
                return gate.isReleased
            }
            group.addTask {
                await stopped.wait()
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first && !stopped.isReleased
        }
    }
}

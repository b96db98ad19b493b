import Foundation
import Hummingbird
import Logging
import Synchronization

/// A small OTLP/HTTP collector on 127.0.0.1 for tests: `POST /v1/traces` with an
/// `ExportTraceServiceRequest` in protobuf (what swift-otel sends by default), decoded into
/// `ReceivedSpan`s. Point `OTEL_EXPORTER_OTLP_ENDPOINT` at `endpoint`.
public final class OTLPReceiver: Sendable {
    /// `http://127.0.0.1:<port>`
    public let endpoint: String
    private let received: Received
    private let server: Task<Void, Never>

    /// What has arrived; shared by the route and the receiver.
    private final class Received: Sendable {
        struct State {
            var spans: [ReceivedSpan] = []
            var exports = 0
            /// Released (and replaced) at each export: what waiters wait on.
            var changed = Gate()
        }

        let state = Mutex(State())

        func add(_ body: [UInt8]) throws {
            let spans = try ReceivedSpan.decode(exportRequest: body)
            let changed = state.withLock { state in
                state.spans += spans
                state.exports += 1
                defer { state.changed = Gate() }
                return state.changed
            }
            changed.release()
        }
    }

    private init(endpoint: String, received: Received, server: Task<Void, Never>) {
        self.endpoint = endpoint
        self.received = received
        self.server = server
    }

    /// Every span received so far, in arrival order.
    public var spans: [ReceivedSpan] { received.state.withLock { $0.spans } }
    /// How many export requests arrived.
    public var exports: Int { received.state.withLock { $0.exports } }

    /// The spans received once `done` holds for them, waiting for exports (not longer than `limit`).
    public func spans(within limit: Duration = .seconds(30), until done: @escaping @Sendable ([ReceivedSpan]) -> Bool) async throws -> [ReceivedSpan] {
        let received = received
        return try await Deadline.within(limit, waitingFor: "spans at the OTLP receiver") {
            while true {
                let (spans, changed) = received.state.withLock { ($0.spans, $0.changed) }
                if done(spans) { return spans }
                await changed.wait()
                try Task.checkCancellation()
            }
        }
    }

    /// Starts listening on a free port of 127.0.0.1; returns once it does.
    public static func start(logger: Logger = TestRuntime.quietLogger) async throws -> OTLPReceiver {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let received = Received()
        let router = Router()
        router.post("v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            try received.add(Array(body.readableBytesView))
            // An empty ExportTraceServiceResponse: full success.
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let server = Task {
            try? await app.run()
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            server.cancel()
            throw TestRuntime.StartError()
        }
        return OTLPReceiver(endpoint: "http://127.0.0.1:\(port)", received: received, server: server)
    }

    /// Stops listening. Idempotent.
    public func stop() async {
        server.cancel()
        await server.value
    }
}

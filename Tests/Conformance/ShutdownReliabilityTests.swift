import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import Testing

/// Slow clients, graceful shutdown and its bound, on real `hot-server serve` processes; and what a
/// failed write or a shutdown leaves behind in the services that outlive requests.
@Suite("Reliability: slow clients and shutdown")
struct ShutdownReliabilityTests {
    static func port(_ process: ServeProcess) throws -> Int {
        guard let port = process.baseURL.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TestFailure("no port in \(process.baseURL)")
        }
        return port
    }

    /// An upload to `project` whose body is sent in two parts: the first at once, the second when
    /// `finish()` is called. `answer` is the response, once it has come whole.
    struct SlowUpload {
        let continuation: AsyncStream<ByteBuffer>.Continuation
        let rest: Data
        let answer: Task<(status: Int, body: Data), any Error>
        let size: Int

        init(_ tenant: Tenant, project: String) {
            // 2 MB stored: the body is larger than what one read takes, and the first half is a
            // part of the file, so the server is mid-request, spooling it.
            let entries = [try! ZipFixture.Entry("manifest.hot", SampleBundle.manifest), try! ZipFixture.Entry("big.bin", Data(repeating: 0x78, count: 2_000_000))]
            let zip = SampleBundle.archive(entries)
            size = zip.count
            let form = MultipartBody.upload(zip)
            let body = form.finished
            let half = body.count / 2
            let (chunks, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            self.continuation = continuation
            rest = body.dropFirst(half)
            var request = HTTPClientRequest(url: tenant.server.baseURL + "/v1/projects/\(project)/builds")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(tenant.token)")
            request.headers.add(name: "Content-Type", value: form.contentType)
            request.body = .stream(chunks, length: .known(Int64(body.count)))
            continuation.yield(ByteBuffer(bytes: body.prefix(half)))
            let sent = request
            answer = Task {
                let response = try await HTTPClient.shared.execute(sent, timeout: .seconds(120))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), Data(buffer: bytes))
            }
        }

        func finish() {
            continuation.yield(ByteBuffer(bytes: rest))
            continuation.finish()
        }

        /// Waits until the server is spooling the upload (its spool file exists).
        static func spooling(_ dataDirectory: URL) async throws {
            let spool = dataDirectory.appendingPathComponent("builds/.spool")
            try await Deadline.within(.seconds(30), waitingFor: "the upload to reach the spool") {
                // Polls the directory (the deadline bounds it).
                while ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).filter({ $0.hasSuffix(".part") }).isEmpty {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        }
    }

    /// Waits until the process has stopped listening (new connections are refused): it is shutting down.
    static func stoppedListening(_ port: Int) async throws {
        try await Deadline.within(.seconds(30), waitingFor: "the server to stop accepting connections") {
            while let connection = try? await SlowClientConnection.open(port: port, reading: true) {
                await connection.close()
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test("slowloris requests and SSE readers that never read, many at once: other clients still get answers; the unfinished requests are closed after the idle timeout")
    func slowClients() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-slow")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let process = try await ServeProcess.start(dataDirectory, environment: ["HOT_HTTP_IDLE_TIMEOUT": "5", "HOT_RUNTIME_URL": ""])
        defer { if process.process.isRunning { process.process.terminate() } }
        let tenant = try await process.tenant(dataDirectory)
        let port = try Self.port(process)

        // Requests whose headers never end.
        var slow: [SlowClientConnection] = []
        for _ in 0..<200 {
            slow.append(try await SlowClientConnection.open(port: port, reading: true, sending: "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "))
        }
        // Live feeds whose readers never read, with small receive windows.
        var stalled: [SlowClientConnection] = []
        for _ in 0..<50 {
            stalled.append(try await SlowClientConnection.open(
                port: port, reading: false, receiveBuffer: 4096,
                sending: "GET /v1/env/subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tenant.token)\r\nAccept: text/event-stream\r\n\r\n"))
        }
        // Enough for every stalled feed to fill its windows (200 events of 4 KB each, 800 KB a feed).
        let payload = String(repeating: "x", count: 4_000)
        for _ in 0..<200 {
            let published = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"slow:tick","event_data":{"p":"\#(payload)"}}"#)
            #expect(published.status == 201)
        }
        // Others are answered, promptly.
        try await Deadline.within(.seconds(10), waitingFor: "answers while slow clients hold connections") { () async throws in
            #expect(try await tenant.send(.GET, "/status", authorized: false).status == 200)
            #expect(try await tenant.send(.GET, "/v1/projects").status == 200)
            #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"slow:other","event_data":{}}"#).status == 201)
        }
        // The unfinished requests are closed by the server (HOT_HTTP_IDLE_TIMEOUT); the default would be a minute.
        for connection in slow { try await connection.closed(within: .seconds(30)) }
        for connection in stalled { await connection.close() }
        #expect(try await tenant.send(.GET, "/status", authorized: false).status == 200)
        #expect(try await process.stop() == 0)
    }

    @Test("SIGTERM while an upload is in flight: the server stops listening, the upload's answer still arrives whole, and the process exits 0")
    func inFlightRequestFinishes() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-sigterm")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let process = try await ServeProcess.start(dataDirectory, environment: ["HOT_RUNTIME_URL": ""])
        defer { if process.process.isRunning { process.process.terminate() } }
        let tenant = try await process.tenant(dataDirectory)
        _ = try await tenant.createProject("upload")

        let upload = SlowUpload(tenant, project: "upload")
        try await SlowUpload.spooling(dataDirectory)
        process.process.terminate()
        // Shutting down for sure before the rest of the body goes.
        try await Self.stoppedListening(try Self.port(process))
        upload.finish()
        let (status, body) = try await upload.answer.value
        #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let data = try JSONValue.parse(body)["data"]
        #expect(data?["build_id"]?.stringValue != nil)
        #expect(data?["size"] == .int(Int64(upload.size)))
        #expect(try await process.exit.status(within: .seconds(60)) == 0)
    }

    @Test("connections closed before a whole request, or half-closed, do not hold SIGTERM's shutdown")
    func unfinishedConnectionsDoNotHoldShutdown() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-unfinished")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let process = try await ServeProcess.start(dataDirectory, environment: ["HOT_RUNTIME_URL": ""])
        defer { if process.process.isRunning { process.process.terminate() } }
        let tenant = try await process.tenant(dataDirectory)
        // Nothing sent; half a request head; a whole feed request's head with half its body.
        let silent = try await RawConnection.open(process.baseURL)
        let halfHead = try await RawConnection.open(process.baseURL)
        try await halfHead.send("GET /v1/env HTTP/1.1\r\nHost: local")
        let halfBody = try await RawConnection.open(process.baseURL)
        try await halfBody.send("POST /v1/streams/subscribe-with-event HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tenant.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"event_type\":")
        for connection in [silent, halfHead, halfBody] { connection.close() }
        // Shut down well before the idle timeout (60 s) would have closed anything.
        let started = ContinuousClock.now
        #expect(try await process.stop() == 0)
        #expect(ContinuousClock.now - started < .seconds(45))
    }

    @Test("a request that never finishes holds SIGTERM's shutdown at most the runtime timeout + 30 s")
    func shutdownBound() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-shutdown-bound")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        // A runtime timeout of 1 s: the bound is 31 s. The idle timeout would otherwise end the stalled request first.
        let process = try await ServeProcess.start(
            dataDirectory, environment: ["HOT_RUNTIME_URL": "", "HOT_RUNTIME_TIMEOUT": "1", "HOT_HTTP_IDLE_TIMEOUT": "600"])
        defer { if process.process.isRunning { process.process.terminate() } }
        let tenant = try await process.tenant(dataDirectory)
        _ = try await tenant.createProject("stalled")

        let upload = SlowUpload(tenant, project: "stalled")
        defer { upload.answer.cancel() }
        try await SlowUpload.spooling(dataDirectory)
        let began = ContinuousClock.now
        process.process.terminate()
        _ = try await process.exit.status(within: .seconds(60))
        let took = ContinuousClock.now - began
        // It waited for the request (it is in flight), and not past the bound.
        #expect(took > .seconds(29), "exited after \(took)")
        #expect(took < .seconds(50), "exited after \(took)")
        upload.continuation.finish()
    }
}

@Suite("Reliability: what failures and shutdowns leave")
struct LeftoverReliabilityTests {
    /// A provider whose certificate check never answers until cancelled; says when it was asked.
    struct HangingProvider: DomainProvider {
        let asked: AsyncStream<Void>.Continuation
        let never = Gate()

        func requestCertificate(for domain: DomainRecord) async throws -> DomainCertificate {
            DomainCertificate(reference: "cert", validationName: "_v.\(domain.name)", validationValue: "_v.test")
        }

        func certificateStatus(of domain: DomainRecord) async throws -> CertificateStatus {
            asked.yield()
            await never.wait()
            try Task.checkCancellation()
            return .pending
        }

        func provisionRouting(for domain: DomainRecord) async throws -> DomainRouting { throw CancellationError() }
        func routingStatus(of domain: DomainRecord) async throws -> RoutingStatus { .deploying }
        func tearDown(_ domain: DomainRecord) async throws {}
    }

    @Test("a domain claimed by a checker that shutdown cancels mid-call is given back at once, not held for its lease")
    func domainClaimReleasedOnCancel() async throws {
        let tenant = try await Tenant.make()
        let name = Fixtures.uniqueDomain("example.com")
        let registered = try await tenant.send(.POST, "/v1/domains", body: #"{"domain":"\#(name)"}"#)
        let id = try #require(registered.json?["data"]?["domain_id"]?.stringValue.flatMap { UUID(uuidString: $0) })

        let (asked, continuation) = AsyncStream.makeStream(of: Void.self)
        let clock = ManualWallClock(Date())
        clock.advance(by: 86_400)   // the registration's first check is due
        let checker = DomainChecker(database: tenant.server.database, provider: HangingProvider(asked: continuation),
                                    settings: .init(lease: .seconds(600)), clock: clock, envIds: [tenant.envId], logger: tenant.server.logger)
        let pass = Task { try await checker.pass() }
        var iterator = asked.makeAsyncIterator()
        _ = await iterator.next()   // the checker holds the claim, in the middle of a provider call
        let store = DomainStore(database: tenant.server.database)
        #expect(try await store.claim(envId: tenant.envId, id: id, now: clock.now(), lease: .seconds(600)) == nil)

        pass.cancel()
        await #expect(throws: CancellationError.self) { try await pass.value }
        // Free at once, not in ten minutes.
        #expect(try await store.claim(envId: tenant.envId, id: id, now: clock.now(), lease: .seconds(600)) != nil)
    }
}

import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import Synchronization
import Testing

@Suite struct HTTPRuntimeTests {
    typealias F = RuntimeFixtures

    static let delta1 = RuntimeData(dataType: "ai:delta", payload: ["text": "Hel"])
    static let delta2 = RuntimeData(dataType: "ai:delta", payload: ["text": "lo"])

    /// The failure reason of an outcome, when it is a string (as every reason this side makes is).
    func reason(_ outcome: RuntimeOutcome) -> String? {
        guard case .failed(.string(let reason)) = outcome else { return nil }
        #expect(!reason.contains("\n"), "reasons are one line")
        return reason
    }

    // MARK: Success and streaming

    @Test func succeedsWithDataLinesInOrder() async throws {
        try await F.with(.succeed(result: ["answer": 42], data: [Self.delta1, Self.delta2])) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client))
            #expect(outcome == .succeeded(["answer": 42]))
            #expect(data == [Self.delta1, Self.delta2])
        }
    }

    @Test func dataReachesOnDataBeforeTheResultIsSent() async throws {
        let gate = Gate()
        let behaviour = TestRuntime.Behaviour.stream([.data(Self.delta1), .wait(gate), .data(Self.delta2), .result("done")])
        try await F.with(behaviour) { server, client in
            let runtime = try F.runtime(server, client)
            let events = Mutex<[String]>([])
            let (arrivals, arrived) = AsyncStream.makeStream(of: RuntimeData.self)
            let run = Task {
                let outcome = await runtime.execute(F.request()) { data in
                    events.withLock { $0.append("data:\(data.payload["text"]?.stringValue ?? "")") }
                    arrived.yield(data)
                }
                events.withLock { $0.append("outcome") }
                return outcome
            }
            // The server holds everything after the first line until the gate opens: a runtime that buffered
            // lines until the end of the answer would never get here.
            let first = try await Deadline.within(.seconds(10), waitingFor: "the first data line") {
                var iterator = arrivals.makeAsyncIterator()
                return await iterator.next()
            }
            #expect(first == Self.delta1)
            #expect(events.withLock { $0 } == ["data:Hel"])
            #expect(!gate.isReleased)
            gate.release()
            let outcome = await run.value
            #expect(outcome == .succeeded("done"))
            #expect(events.withLock { $0 } == ["data:Hel", "data:lo", "outcome"])
        }
    }

    @Test func plainJSONAnswerIsTheResult() async throws {
        try await F.with(.plainJSON(["ok": true, "items": [1, 2]])) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client))
            #expect(outcome == .succeeded(["ok": true, "items": [1, 2]]))
            #expect(data.isEmpty)
        }
    }

    @Test func linesSplitAcrossChunksAndSeveralPerChunk() async throws {
        // The first chunk ends mid-line; the second is held until the first data line has reached onData, so
        // the client really sees the split. The last chunk holds several lines, CRLF endings and blank lines.
        let gate = Gate()
        let steps: [TestRuntime.Step] = [
            .raw(#"{"type":"data","data_type":"ai:delta","payload":{"text":"Hel"}}"# + "\n" + #"{"type":"da"#),
            .wait(gate),
            .raw(#"ta","data_type":"ai:delta","payload":{"text":"lo"}}"# + "\r\n\r\n\n"
                + #"{"type":"data","data_type":"log","payload":null}"# + "\r\n"
                + "  \n" + #"{"type":"result","result":[1,"two"]}"# + "\n"),
        ]
        try await F.with(.stream(steps)) { server, client in
            let runtime = try F.runtime(server, client)
            let received = Mutex<[RuntimeData]>([])
            let outcome = try await Deadline.within(.seconds(10), waitingFor: "the run") {
                await runtime.execute(F.request()) { data in
                    received.withLock { $0.append(data) }
                    if data == Self.delta1 { gate.release() }
                }
            }
            #expect(outcome == .succeeded([1, "two"]))
            #expect(received.withLock { $0 } == [Self.delta1, Self.delta2, RuntimeData(dataType: "log", payload: nil)])
        }
    }

    @Test func lastLineWithoutNewlineCounts() async throws {
        try await F.with(.stream([.raw(#"{"type":"result","result":7}"#)])) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(outcome == .succeeded(7))
        }
    }

    @Test func linesAfterTheOutcomeAreIgnored() async throws {
        let steps: [TestRuntime.Step] = [.result("first"), .raw("not json at all\n"), .data(Self.delta1), .error("late")]
        try await F.with(.stream(steps)) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client))
            #expect(outcome == .succeeded("first"))
            #expect(data.isEmpty)
        }
    }

    // MARK: Request shape

    @Test func requestBodyHasTheContractShape() async throws {
        try await F.with(.succeed(result: nil)) { server, client in
            let runtime = try F.runtime(server, client)
            let withEvent = F.request(event: true, schedule: false)
            let withSchedule = F.request(event: false, schedule: true)
            #expect(await runtime.execute(withEvent) { _ in } == .succeeded(nil))
            #expect(await runtime.execute(withSchedule) { _ in } == .succeeded(nil))

            let first = try await server.run(1)
            let second = try await server.run(2)
            #expect(first.contentType?.hasPrefix("application/json") == true)
            let keys: Set<String> = ["run_id", "run_type", "stream_id", "env_id", "project_id", "build_id", "handler",
                                     "event", "schedule", "context"]
            for (run, request) in [(first, withEvent), (second, withSchedule)] {
                let body = try #require(run.body.objectValue)
                #expect(Set(body.keys) == keys)
                #expect(body["run_id"] == .string(request.runId.uuidString.lowercased()))
                #expect(body["stream_id"] == .string(request.streamId.uuidString.lowercased()))
                #expect(body["env_id"] == .string(request.envId.uuidString.lowercased()))
                #expect(body["project_id"] == .string(request.projectId.uuidString.lowercased()))
                #expect(body["build_id"] == .string(request.buildId.uuidString.lowercased()))
                #expect(body["run_type"] == .string(request.runType))
                #expect(body["handler"] == ["ns": "::app::handlers", "var": "on-signup", "meta": ["retries": 2]])
                #expect(body["context"] == ["API_KEY": .string(F.secret), "REGION": "eu"])
                for id in ["run_id", "stream_id", "env_id", "project_id", "build_id"] {
                    let text = try #require(body[id]?.stringValue)
                    #expect(text == text.lowercased() && UUID(uuidString: text) != nil)
                }
            }
            let event = try #require(first.body["event"]?.objectValue)
            #expect(Set(event.keys) == ["event_id", "event_type", "event_data", "event_time"])
            #expect(event["event_id"] == .string(withEvent.event!.eventId.uuidString.lowercased()))
            #expect(event["event_type"] == "user:signup")
            #expect(event["event_data"] == ["email": "a@b.c"])
            #expect(event["event_time"] == "2025-01-02T03:04:05.678Z")
            #expect(first.body["schedule"] == .null)
            #expect(first.eventType == "user:signup" && first.handlerVar == "on-signup")

            let schedule = try #require(second.body["schedule"]?.objectValue)
            #expect(schedule == ["schedule_id": .string(withSchedule.schedule!.scheduleId.uuidString.lowercased()),
                                 "cron": "*/5 * * * *"])
            #expect(second.body["event"] == .null)
        }
    }

    @Test("a call through a webhook or tool sends its caller, and the run's log line carries the request id that made it")
    func callerAndItsRequestId() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "capture") { _ in CapturingLogHandler(store: store) }
        try await F.with(.succeed(result: 1)) { server, client in
            var request = F.request()
            let caller: JSONValue = ["via": "mcp", "service": "weather", "name": "forecast", "request_id": "01a2-req",
                                     "credential": ["kind": "service_key", "id": "k1", "metadata": ["customer": "acme"]]]
            request.caller = caller
            let runtime = try F.runtime(server, client, logger: logger)
            #expect(await runtime.execute(request) { _ in } == .succeeded(1))
            #expect(try await server.run(1).body["caller"] == caller)
            let finished = try #require(store.entries.withLock { $0 }.first { $0.message == "runtime run finished" })
            #expect(finished.metadata["request_id"] == .string("01a2-req"))
            // Any other run is sent without one.
            #expect(await runtime.execute(F.request()) { _ in } == .succeeded(1))
            #expect(try await server.run(2).body["caller"] == nil)
        }
    }

    @Test func authorizationHeaderOnlyWithAToken() async throws {
        try await F.with(.succeed(result: 1)) { server, client in
            _ = await F.execute(try F.runtime(server, client, token: "tok-123"))
            _ = await F.execute(try F.runtime(server, client, token: nil))
            #expect(try await server.run(1).authorization == "Bearer tok-123")
            #expect(try await server.run(2).authorization == nil)
            #expect(server.received.count == 2)
        }
    }

    @Test func logsRunIdStatusAndDurationButNeverTheBody() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "capture") { _ in CapturingLogHandler(store: store) }
        try await F.with(.succeed(result: "ok", data: [Self.delta1])) { server, client in
            let request = F.request()
            let runtime = try F.runtime(server, client, token: "tok-secret", logger: logger)
            #expect(await runtime.execute(request) { _ in } == .succeeded("ok"))
            let entries = store.entries.withLock { $0 }
            let finished = try #require(entries.first { $0.message == "runtime run finished" })
            #expect(finished.level == .debug)
            #expect(finished.metadata["run_id"] == .string(request.runId.uuidString.lowercased()))
            #expect(finished.metadata["status"]?.description == "200")
            #expect(finished.metadata["duration_ms"] != nil)
            for entry in entries {
                let text = entry.message + " " + entry.metadata.description
                #expect(!text.contains(F.secret) && !text.contains("tok-secret"))
            }
        }
    }

    // MARK: Failures

    @Test func errorLineFailsTheRunWithItsValue() async throws {
        try await F.with(.fail(error: ["message": "boom", "code": 3], data: [Self.delta1])) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client))
            #expect(outcome == .failed(["message": "boom", "code": 3]))
            #expect(data == [Self.delta1])
        }
    }

    @Test func non200StatusFails() async throws {
        try await F.with(.status(500, body: "kaput\nstack trace")) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime answered HTTP 500: kaput stack trace")
        }
        try await F.with(.status(204)) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime answered HTTP 204")
        }
    }

    @Test func connectionRefusedFails() async throws {
        // A port that was just listening and is now closed.
        let server = try await TestRuntime.start(.succeed(result: 1))
        await server.stop()
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(2))))
        defer { Task { try? await client.shutdown() } }
        let runtime = try HTTPRuntime(url: server.url, token: nil, timeout: .seconds(30), httpClient: client, logger: Logger(label: "test"))
        let (outcome, _) = await F.execute(runtime)
        let text = try #require(reason(outcome))
        #expect(text.hasPrefix("could not reach the runtime at \(server.url): "))
    }

    @Test func hangingRuntimeTimesOutPromptly() async throws {
        try await F.with(.hang) { server, client in
            let runtime = try F.runtime(server, client, timeout: .milliseconds(300))
            let clock = ContinuousClock()
            let started = clock.now
            let (outcome, _) = await F.execute(runtime)
            let elapsed = clock.now - started
            #expect(reason(outcome) == "runtime did not finish the run within 300 ms")
            #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(3))
        }
    }

    @Test func streamThatStallsAfterDataTimesOut() async throws {
        let never = Gate()
        try await F.with(.stream([.data(Self.delta1), .wait(never), .result(1)])) { server, client in
            // Long enough for the first line to arrive on a loaded machine (at 300 ms it sometimes
            // did not, under a parallel build), and the stall still outlasts it.
            let runtime = try F.runtime(server, client, timeout: .seconds(2))
            let clock = ContinuousClock()
            let started = clock.now
            let (outcome, data) = await F.execute(runtime)
            #expect(reason(outcome) == "runtime did not finish the run within 2 s")
            #expect(data == [Self.delta1])
            #expect(clock.now - started < .seconds(10))
        }
    }

    @Test func streamEndingWithoutOutcomeFails() async throws {
        try await F.with(.stream([.data(Self.delta1)])) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime stream ended without a result or error line")
            #expect(data == [Self.delta1])
        }
        try await F.with(.stream([])) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime stream ended without a result or error line")
        }
    }

    @Test func garbageLineFails() async throws {
        try await F.with(.garbage) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime sent a line that is not JSON (16 bytes) at line 1")
        }
    }

    @Test func unknownTypeOrMalformedLineFails() async throws {
        let cases: [(String, String)] = [
            (#"{"type":"progress","value":1}"#, #"runtime sent a line of unknown type "progress" at line 2"#),
            (#"{"type":"data","payload":1}"#, #"runtime sent a data line without a string "data_type" at line 2"#),
            (#"{"result":1}"#, #"runtime sent a line without a string "type" at line 2"#),
            (#"[1,2]"#, "runtime sent a JSON array line where an object was expected at line 2"),
        ]
        for (line, expected) in cases {
            try await F.with(.stream([.data(Self.delta1), .raw(line + "\n"), .result(1)])) { server, client in
                let (outcome, data) = await F.execute(try F.runtime(server, client))
                #expect(reason(outcome) == expected)
                #expect(data == [Self.delta1])
            }
        }
    }

    @Test func overlongLineFails() async throws {
        let long = RuntimeData(dataType: "ai:delta", payload: .string(String(repeating: "x", count: 200)))
        try await F.with(.stream([.data(Self.delta1), .data(long), .result(1)])) { server, client in
            let (outcome, data) = await F.execute(try F.runtime(server, client, maxLineBytes: 100))
            #expect(reason(outcome) == "runtime sent a line longer than 100 bytes at line 2")
            #expect(data == [Self.delta1])
        }
    }

    @Test func unexpectedContentTypeOrBadJSONFails() async throws {
        try await F.with(.status(200, body: "hello")) { server, client in
            let (outcome, _) = await F.execute(try F.runtime(server, client))
            #expect(reason(outcome) == "runtime answered 200 with Content-Type text/plain; expected application/x-ndjson or application/json")
        }
    }

    @Test func badURLIsRejectedWithAReason() throws {
        let client = HTTPClient.shared
        let logger = Logger(label: "test")
        for (url, message) in [
            ("not a url", "runtime URL not a url is not an absolute URL"),
            ("ftp://host/run", "runtime URL ftp://host/run must use http or https, not ftp"),
            ("http:///run", "runtime URL http:///run has no host"),
        ] {
            #expect(throws: HTTPRuntime.ConfigurationError(message)) {
                try HTTPRuntime(url: url, token: nil, timeout: .seconds(1), httpClient: client, logger: logger)
            }
        }
        #expect(throws: HTTPRuntime.ConfigurationError.self) {
            try HTTPRuntime(url: "http://127.0.0.1:1/run", token: nil, timeout: .zero, httpClient: client, logger: logger)
        }
        _ = try HTTPRuntime(url: "https://runtime.internal:8443/run", token: "t", timeout: .seconds(1), httpClient: client, logger: logger)
    }
}

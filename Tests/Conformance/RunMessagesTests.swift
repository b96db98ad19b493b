import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// What `run:start`, `run:stop` and `run:fail` carry: the run as `GET /v1/runs/{id}` shows it, at
/// the moment of the message, in both feeds.
@Suite("Run messages")
struct RunMessagesTests {
    let events = EventsTests()

    @Test("run:start, run:stop and run:fail carry the run as GET /v1/runs/{id} shows it; the env feed adds its flat fields")
    func runAsStored() async throws {
        let succeeding = events.uniqueType("shown")
        let failing = events.uniqueType("shown-fail")
        let tenant = try await events.deployed([(succeeding, "on-shown", "{}"), (failing, "on-shown-fail", "{}")])
        RuntimeScript.shared.on(succeeding, .succeed(result: ["reply": "ok", "n": 1]))
        RuntimeScript.shared.on(failing, .fail(error: ["message": "boom"]))
        let env = try await tenant.sse(.GET, "/v1/env/subscribe")
        defer { env.close() }
        var frames: [SSEFrame] = []
        for type in [succeeding, failing] {
            let stream = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{"a":[1,2]}}"#)
            let streamFrames = try await stream.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
            stream.close()
            let envFrames = try await env.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
            let runEvents = ["run:start", "run:stop", "run:fail"]
            let streamRuns = streamFrames.filter { runEvents.contains($0.event) }
            let envRuns = envFrames.filter { runEvents.contains($0.event) }
            #expect(streamRuns.map(\.event) == envRuns.map(\.event))
            #expect(streamRuns.count == 2)
            frames += streamRuns + envRuns

            let end = try #require(streamRuns.last?.json)
            let runId = try #require(end["run"]?["run_id"]?.stringValue)
            let stored = try #require(try await tenant.send(.GET, "/v1/runs/\(runId)").json?["data"])
            // The end's run is the stored run, and the stream feed's message is only it.
            #expect(end["run"] == stored)
            #expect(end == .object(["type": .string(streamRuns[1].event), "run": stored]))
            // The start showed it running, before it had a result.
            let start = try #require(streamRuns.first?.json?["run"])
            guard case .object(var expected) = stored else { throw TestFailure("a run is an object") }
            expected["status"] = .string("running")
            expected["stop_time"] = .null
            expected.removeValue(forKey: "result")
            #expect(start == .object(expected))

            // The env feed: the same run, beside flat fields.
            for (streamFrame, envFrame) in zip(streamRuns, envRuns) {
                let flat = try #require(envFrame.json)
                #expect(flat["run"] == streamFrame.json?["run"])
                #expect(flat["run_id"]?.stringValue == runId)
                #expect(flat["stream_id"] == stored["stream_id"])
                #expect(flat["event_id"] == stored["event_id"])
                #expect(flat["project_id"] == stored["project_id"])
                #expect(flat["env_id"]?.stringValue == tenant.envId.lowercased)
                #expect(flat["run_type"]?.stringValue == "event")
                #expect(flat["fn_name"]?.stringValue?.hasPrefix("::app::handlers/on-shown") == true)
            }
            let flatEnd = try #require(envRuns.last?.json)
            if case .int? = flatEnd["duration_ms"] {} else { Issue.record("duration_ms is \(String(describing: flatEnd["duration_ms"]))") }
            if streamRuns[1].event == "run:fail" { #expect(flatEnd["error"]?.stringValue == #"{"message":"boom"}"#) }
        }
        #expect(frames.map(\.event) == ["run:start", "run:stop", "run:start", "run:stop", "run:start", "run:fail", "run:start", "run:fail"])
        if let path = ProcessInfo.processInfo.environment["HOT_TEST_RUN_MESSAGES_DUMP"] {
            try Self.normalised(frames.map { "\($0.event) \($0.data)" }).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// The frames with their ids and times replaced by placeholders, to compare two builds' messages byte for byte.
    static func normalised(_ lines: [String]) throws -> [String] {
        let uuid = try Regex(#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#, as: Substring.self)
        let time = try Regex(#"\d{4}-\d\d-\d\dT[0-9:.]+Z"#, as: Substring.self)
        let duration = try Regex(#""duration_ms":\d+"#, as: Substring.self)
        var names: [String: String] = [:]
        return lines.map { line in
            var line = line.replacing(time, with: "TIME").replacing(duration, with: #""duration_ms":N"#)
            line = line.replacing(uuid) { match in
                let id = String(match.output)
                if let name = names[id] { return name }
                let name = "ID\(names.count)"
                names[id] = name
                return name
            }
            return line
        }
    }
}

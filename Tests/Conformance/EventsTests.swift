import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import PostgresNIO
import Testing

@Suite("Events, runs and live streams")
struct EventsTests {
    /// A tenant with project `app` whose deployed build handles each of `handlers` (event type,
    /// handler name, meta literal).
    func deployed(_ handlers: [(String, String, String)], schedules: [(String, String)] = []) async throws -> Tenant {
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let manifest = SampleBundle.manifest(
            handlers: handlers.map { (eventType: $0.0, fn: "::app::handlers/\($0.1)", meta: $0.2) },
            schedules: schedules.map { (cron: $0.0, fn: "::app::tasks/\($0.1)") })
        let buildId = try await tenant.uploadBuild("app", zip: SampleBundle.archive(manifest: manifest, method: .deflate))
        let deploy = try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy")
        guard deploy.status == 200 else { throw TestFailure("deploy answered \(deploy.status)") }
        return tenant
    }

    func uniqueType(_ label: String) -> String { "\(label):\(UUID().lowercased)" }

    @Test("publishing answers 201 with the event in a new stream; list, get and stream continuation follow")
    func publishListGet() async throws {
        let tenant = try await Tenant.make()
        let created = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"user.signup","event_data":{"user_id":"123"}}"#)
        #expect(created.status == 201)
        let event = try #require(created.json?["data"])
        #expect(event["event_type"]?.stringValue == "user.signup")
        #expect(event["event_data"]?["user_id"]?.stringValue == "123")
        #expect(event["env_id"]?.stringValue == tenant.envId.lowercased)
        let eventId = try #require(event["event_id"]?.stringValue)
        let streamId = try #require(event["stream_id"]?.stringValue)

        let next = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"user.login","event_data":null,"stream_id":"\#(streamId)"}"#)
        #expect(next.status == 201)
        #expect(next.json?["data"]?["stream_id"]?.stringValue == streamId)

        let list = try await tenant.send(.GET, "/v1/events")
        #expect(list.json?["pagination"]?["total"] == .int(2))
        #expect(list.json?["data"]?[0]?["event_type"]?.stringValue == "user.login")
        #expect(try await tenant.send(.GET, "/v1/events/\(eventId)").json?["data"]?["event_id"]?.stringValue == eventId)

        // Another env sees none of it, and cannot continue the stream.
        let other = try await Tenant.make()
        #expect(try await other.send(.GET, "/v1/events/\(eventId)").status == 404)
        #expect(try await other.send(.POST, "/v1/events", body: #"{"event_type":"x","event_data":1,"stream_id":"\#(streamId)"}"#).status == 404)
        // A stream id the env does not have yet starts that stream (as the reference does); the other
        // env still cannot add to it.
        let fresh = UUID().lowercased
        let started = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"x","event_data":1,"stream_id":"\#(fresh)"}"#)
        #expect(started.status == 201)
        #expect(started.json?["data"]?["stream_id"]?.stringValue == fresh)
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"x","event_data":2,"stream_id":"\#(fresh)"}"#).status == 201)
        #expect(try await other.send(.POST, "/v1/events", body: #"{"event_type":"x","event_data":1,"stream_id":"\#(fresh)"}"#).status == 404)
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"hot:internal","event_data":1}"#).status == 403)
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"","event_data":1}"#).status == 400)
    }

    @Test("publish → run → result end to end: event:published first, stream:data in order, run:stop with the run")
    func endToEnd() async throws {
        let type = uniqueType("chat")
        let tenant = try await deployed([(type, "on-chat", "{}")])
        #expect(try await tenant.send(.POST, "/v1/projects/app/context", body: #"{"key":"API_TOKEN","value":"s3cret"}"#).status == 201)
        RuntimeScript.shared.on(type, .succeed(result: ["reply": "Hello world"], data: [
            RuntimeData(dataType: "ai:delta", payload: ["text": "Hello"]),
            RuntimeData(dataType: "ai:delta", payload: ["text": " world"]),
        ]))
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{"message":"hi"}}"#)
        #expect(feed.status == 200)
        #expect(feed.headers.first(name: "Content-Type") == "text/event-stream")
        let frames = try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
        feed.close()
        #expect(frames.map(\.event) == ["event:published", "run:start", "stream:data", "stream:data", "run:stop"])
        let published = try #require(frames.first?.json)
        #expect(published["type"]?.stringValue == "event:published")
        let eventId = try #require(published["event_id"]?.stringValue)
        #expect(frames[2].json?["payload"]?["text"]?.stringValue == "Hello")
        #expect(frames[3].json?["payload"]?["text"]?.stringValue == " world")
        for frame in frames { #expect(frame.json?["type"]?.stringValue == frame.event) }
        let run = try #require(frames.last?.json?["run"])
        #expect(run["status"]?.stringValue == "succeeded")
        #expect(run["event_id"]?.stringValue == eventId)
        #expect(run["result"]?["reply"]?.stringValue == "Hello world")
        #expect(run["project_name"]?.stringValue == "app")

        // The run as the API shows it, and as the runtime was asked for it.
        let runId = try #require(run["run_id"]?.stringValue)
        let stored = try await tenant.send(.GET, "/v1/runs/\(runId)").json?["data"]
        #expect(stored?["status"]?.stringValue == "succeeded")
        #expect(stored?["run_type"]?.stringValue == "event")
        #expect(stored?["stop_time"]?.stringValue != nil)
        #expect(try await tenant.send(.GET, "/v1/events/\(eventId)/runs").json?["data"]?[0]?["run_id"]?.stringValue == runId)
        let request = try #require(tenant.server.runtime.received.last { $0.runId == runId })
        #expect(request.body["context"]?["API_TOKEN"]?.stringValue == "s3cret")
        #expect(request.body["handler"]?["var"]?.stringValue == "on-chat")
        #expect(request.body["event"]?["event_data"]?["message"]?.stringValue == "hi")
        #expect(request.authorization == "Bearer \(TestServer.runtimeToken)")
    }

    @Test("a failing runtime fails the run with its error; retry: N runs it N more times, linked by origin_run_id")
    func failureAndRetries() async throws {
        let failing = uniqueType("fail")
        let retried = uniqueType("retry")
        let tenant = try await deployed([(failing, "on-fail", "{}"), (retried, "on-retry", "{retry: 2}")])
        RuntimeScript.shared.on(failing, .fail(error: ["message": "boom"]))
        RuntimeScript.shared.on(retried, .status(500))

        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(failing)","event_data":{}}"#)
        let fail = try #require(try await feed.frames(until: { $0.event == "run:fail" }).last)
        feed.close()
        #expect(fail.json?["run"]?["status"]?.stringValue == "failed")
        #expect(fail.json?["run"]?["result"]?["message"]?.stringValue == "boom")

        let retries = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(retried)","event_data":{}}"#)
        var failures: [JSONValue] = []
        while failures.count < 3 {
            let frame = try #require(try await retries.frames(until: { $0.event == "run:fail" }).last)
            failures.append(try #require(frame.json?["run"]))
        }
        retries.close()
        #expect(failures[0]["origin_run_id"] == .null)
        #expect(failures[1]["origin_run_id"] == failures[0]["run_id"])
        #expect(failures[2]["origin_run_id"] == failures[1]["run_id"])
        #expect(Set(failures.compactMap { $0["event_id"]?.stringValue }).count == 1)
        // Which retry each is, and when the next is due: after the failure, none after the last.
        #expect(failures.map { $0["retry_attempt"] } == [.int(0), .int(1), .int(2)])
        for failure in failures.prefix(2) {
            let due = try #require(failure["next_retry_at"]?.stringValue.flatMap(RFC3339.date(from:)))
            let stopped = try #require(failure["stop_time"]?.stringValue.flatMap(RFC3339.date(from:)))
            #expect(due > stopped)
        }
        #expect(failures[2]["next_retry_at"] == .null)
        #expect(fail.json?["run"]?["next_retry_at"] == .null)
        let eventId = try #require(failures[0]["event_id"]?.stringValue)
        #expect(try await tenant.send(.GET, "/v1/events/\(eventId)/runs").json?["pagination"]?["total"] == .int(3))
    }

    @Test("an event no handler takes is handled with no run, as the env feed shows")
    func unhandledEvent() async throws {
        let tenant = try await Tenant.make()
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        let type = uniqueType("nobody")
        let created = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let eventId = try #require(created.json?["data"]?["event_id"]?.stringValue)
        let frames = try await feed.frames(until: { $0.event == "event:handled" })
        feed.close()
        #expect(frames.map(\.event) == ["stream:created", "event:created", "event:handled"])
        #expect(frames[1].json?["event_type"]?.stringValue == type)
        #expect(frames[2].json?["event_id"]?.stringValue == eventId)
        #expect(frames[2].json?["run_count"] == .int(0))
        for frame in frames {
            #expect(frame.json?["type"]?.stringValue == frame.event)
            #expect(Int64(frame.id ?? "") != nil)
        }
        #expect(try await tenant.send(.GET, "/v1/events/\(eventId)/runs").json?["pagination"]?["total"] == .int(0))
    }

    @Test("a subscriber that arrives after the run ended gets its start and its outcome; Last-Event-ID resumes where a client was")
    func lateSubscriberAndResume() async throws {
        let type = uniqueType("late")
        let tenant = try await deployed([(type, "on-late", "{}")])
        RuntimeScript.shared.on(type, .succeed(result: "done", data: [RuntimeData(dataType: "log", payload: ["n": 1])]))
        let first = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let frames = try await first.frames(until: { $0.event == "run:stop" })
        first.close()
        let streamId = try #require(frames[0].json?["stream_id"]?.stringValue)

        // Its start, then its end, as the reference sends them (without ids: they are no messages).
        let late = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        let started = try #require(try await late.next())
        let outcome = try #require(try await late.next())
        late.close()
        #expect(started.event == "run:start")
        #expect(started.json?["run"]?["run_id"] == outcome.json?["run"]?["run_id"])
        #expect(outcome.event == "run:stop")
        #expect(outcome.json?["run"]?["result"]?.stringValue == "done")
        #expect(started.id == nil && outcome.id == nil)

        // Resuming after run:start replays what followed it.
        let start = try #require(frames.first { $0.event == "run:start" })
        let resumed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe", lastEventId: start.id)
        let replayed = try await resumed.frames(until: { $0.event == "run:stop" })
        resumed.close()
        #expect(replayed.map(\.event) == ["stream:data", "run:stop"])
        #expect(replayed.map(\.id) == Array(frames.suffix(2)).map(\.id))
    }

    @Test("frames are id, event and data lines ending in LF LF; the env feed carries the run beside flat fields")
    func wireFormat() async throws {
        let type = uniqueType("wire")
        let tenant = try await deployed([(type, "on-wire", "{}")])
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(type)","event_data":{}}"#).status == 201)
        var raw: [String] = []
        var stop: SSEFrame?
        while stop == nil, let (frame, text) = try await feed.nextRaw() {
            if frame.event == ":" { continue }
            raw.append(text)
            if frame.event == "run:stop" { stop = frame }
        }
        feed.close()
        for text in raw {
            #expect(!text.contains("\r"))
            #expect(text.hasSuffix("\n\n"))
            #expect(text.hasPrefix("id: "))
        }
        let flat = try #require(stop?.json)
        #expect(flat["run_id"] == flat["run"]?["run_id"])
        #expect(flat["stream_id"] == flat["run"]?["stream_id"])
        #expect(flat["run"]?["status"]?.stringValue == "succeeded")
        #expect(flat["fn_name"]?.stringValue == "::app::handlers/on-wire")
    }

    @Test("a subscriber on another process sees what this one's workers do")
    func acrossProcesses() async throws {
        let type = uniqueType("cross")
        let tenant = try await deployed([(type, "on-cross", "{}")])
        // A second app with a hub and listener of its own: another process as far as live messages go.
        let server = tenant.server
        let pubsub = PostgresPubSub(database: server.database)
        let work = WorkSignal()
        let listening = work.waiter()
        let listener = pubsub.listener(work: work)
        let task = Task.detached { try await listener.run() }
        defer { task.cancel() }
        // The listener signals once it listens.
        var signals = listening.makeAsyncIterator()
        _ = await signals.next()
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: pubsub, domainProvider: TestServer.domains, liveFeed: TestServer.liveFeed)
        var elsewhere = tenant
        elsewhere.server.baseURL = try await TestServer.startApp(environment, logger: server.logger)
        let feed = try await elsewhere.sse(.GET, "/v1/env/subscribe")
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(type)","event_data":{}}"#).status == 201)
        let seen = try await feed.frames(until: { $0.event == "run:stop" })
        feed.close()
        #expect(seen.map(\.event) == ["stream:created", "event:created", "event:handled", "run:start", "run:stop"])
    }

    @Test("runs list and stats filter by status, type and an ISO 8601 time range; anything else is a 400")
    func runFilters() async throws {
        let ok = uniqueType("ok")
        let bad = uniqueType("bad")
        let tenant = try await deployed([(ok, "on-ok", "{}"), (bad, "on-bad", "{}")])
        RuntimeScript.shared.on(bad, .fail(error: "no"))
        for type in [ok, ok, bad] {
            let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
            _ = try await feed.frames(until: { $0.event == "run:stop" || $0.event == "run:fail" })
            feed.close()
        }
        #expect(try await tenant.send(.GET, "/v1/runs").json?["pagination"]?["total"] == .int(3))
        #expect(try await tenant.send(.GET, "/v1/runs?status=failed").json?["pagination"]?["total"] == .int(1))
        #expect(try await tenant.send(.GET, "/v1/runs?type=schedule").json?["pagination"]?["total"] == .int(0))
        #expect(try await tenant.send(.GET, "/v1/runs?time_range=PT1H&type=event").json?["pagination"]?["total"] == .int(3))
        let stats = try await tenant.send(.GET, "/v1/runs/stats?time_range=P7D").json?["data"]
        #expect(stats?["total_runs"] == .int(3))
        #expect(stats?["succeeded"] == .int(2))
        #expect(stats?["failed"] == .int(1))
        for range in ["P", "PT", "7D", "P1H", "P1DT", "PT1D", "yesterday"] {
            #expect(try await tenant.send(.GET, "/v1/runs?time_range=\(range)").status == 400, "\(range)")
        }
        #expect(try await tenant.send(.GET, "/v1/runs?status=done").status == 400)
    }

    @Test("a schedule fires once per firing however many schedulers tick, and its run executes")
    func scheduleFiresOnce() async throws {
        let tenant = try await deployed([], schedules: [("* * * * *", "every-minute")])
        let database = tenant.server.database
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 + 30)
        let clocks = [ManualWallClock(start), ManualWallClock(start)]
        let schedulers = clocks.map { Scheduler(database: database, pubsub: tenant.server.pubsub, clock: $0, logger: tenant.server.logger) }
        var states = clocks.map { Scheduler.State(lastChecked: $0.now()) }
        for clock in clocks { clock.advance(by: 60) }
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        var queued: [UUID] = []
        for index in schedulers.indices { queued += try await schedulers[index].tick(&states[index]) }
        // Other tests' schedules may fire too; this env's runs are what count.
        let mine = try await tenant.send(.GET, "/v1/runs?type=schedule").json?["data"]?.arrayValue ?? []
        #expect(mine.count == 1)
        let runId = try #require(mine.first?["run_id"]?.stringValue)
        #expect(queued.contains(UUID(uuidString: runId)!))
        let stop = try #require(try await feed.frames(until: { $0.event == "run:stop" }).last)
        feed.close()
        #expect(stop.json?["run_id"]?.stringValue == runId)
        let request = try #require(tenant.server.runtime.received.last { $0.runId == runId })
        #expect(request.body["run_type"]?.stringValue == "schedule")
        #expect(request.body["schedule"]?["cron"]?.stringValue == "* * * * *")
        #expect(request.body["event"] == .null)
        #expect(request.body["handler"]?["var"]?.stringValue == "every-minute")
    }

    @Test("a run that cannot be prepared (its context no longer decrypts) fails at once instead of coming back")
    func unpreparableRunFails() async throws {
        let type = uniqueType("sealed")
        let tenant = try await deployed([(type, "on-sealed", "{}")])
        let project = try #require(try await tenant.send(.GET, "/v1/projects/app").json?["data"]?["project_id"]?.stringValue)
        let database = tenant.server.database
        // Sealed under another key: it cannot be opened.
        try await database.client.query("""
            INSERT INTO context_variable (project_id, key, value_sealed) VALUES (\(UUID(uuidString: project)!), 'BROKEN', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
            """, logger: database.logger)
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let fail = try #require(try await feed.frames(until: { $0.event == "run:fail" || $0.event == "run:stop" }).last)
        feed.close()
        #expect(fail.event == "run:fail")
        #expect(fail.json?["run"]?["result"]?.stringValue == "the run could not be prepared for the runtime")
        let runId = try #require(fail.json?["run"]?["run_id"]?.stringValue)
        #expect(!tenant.server.runtime.received.contains { $0.runId == runId })
    }

    @Test("a run whose worker died is run again once its lease expires")
    func leaseExpiry() async throws {
        let tenant = try await deployed([(uniqueType("other"), "on-other", "{}")])
        let type = uniqueType("crash")
        RuntimeScript.shared.on(type, .succeed(result: "late"))
        let project = try #require(try await tenant.send(.GET, "/v1/projects/app").json?["data"]?["project_id"]?.stringValue)
        let build = try #require(try await tenant.send(.GET, "/v1/projects/app/builds/deployed").json?["data"]?["build_id"]?.stringValue)
        // An event no handler takes (so routing adds no run of its own) ...
        let created = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let event = try #require(created.json?["data"])
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe")
        // ... and its run, held by a worker that died mid-run: its lease is not renewed.
        let runId = UUID.v7()
        let database = tenant.server.database
        try await database.client.query("""
            INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, run_type, status, ns, var)
            VALUES (\(runId), \(tenant.envId), \(UUID(uuidString: project)!), \(UUID(uuidString: build)!),
                    \(UUID(uuidString: event["stream_id"]!.stringValue!)!), \(UUID(uuidString: event["event_id"]!.stringValue!)!),
                    'event', 'running', '::app::handlers', 'on-crash')
            """, logger: database.logger)
        try await database.client.query("""
            INSERT INTO run_job (run_id, locked_until, locked_by) VALUES (\(runId), now() + interval '1 second', 'dead-worker')
            """, logger: database.logger)
        let stop = try #require(try await feed.frames(until: { $0.event == "run:stop" && $0.json?["run_id"]?.stringValue == runId.lowercased }).last)
        feed.close()
        #expect(stop.json?["run"]?["result"]?.stringValue == "late")
        #expect(tenant.server.runtime.received.filter { $0.runId == runId.lowercased }.count == 1)
    }
}

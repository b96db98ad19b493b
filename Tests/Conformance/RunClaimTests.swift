import Foundation
import Generated
@testable import HotImpl
import HotRuntime
import HotTestSupport
import PostgresNIO
import Testing

/// A worker that routes an event claims a run in the routing transaction; runs it leaves go to
/// other workers.
@Suite("Run claims")
struct RunClaimTests {
    let events = EventsTests()

    /// For each run of the event, whether it started in the transaction that routed the event (its
    /// start time is then that transaction's `now()`, the event's `routed_at`, which no later claim
    /// shares); and whether that transaction claimed any run at all (with other tests' runs queued
    /// it may claim an older one: the next ready run, as any claim does).
    func startedWhileRouting(_ tenant: Tenant, eventId: String) async throws -> (ours: [Bool], any: Bool) {
        let id = try #require(UUID(uuidString: eventId))
        var ours: [Bool] = []
        for try await same in try await tenant.server.database.client.query("""
            SELECT r.start_time = e.routed_at FROM run r JOIN event e ON e.event_id = r.event_id WHERE e.event_id = \(id) ORDER BY r.run_id
            """, logger: tenant.server.logger).decode(Bool.self) {
            ours.append(same)
        }
        var any = false
        for try await claimed in try await tenant.server.database.client.query("""
            SELECT EXISTS (SELECT 1 FROM run r, event e WHERE e.event_id = \(id) AND r.start_time = e.routed_at)
            """, logger: tenant.server.logger).decode(Bool.self) {
            any = claimed
        }
        return (ours, any)
    }

    @Test("the worker that routes an event claims a run in the routing transaction (its own, when no older one is ready)")
    func routingWorkerClaims() async throws {
        let type = events.uniqueType("routed")
        let tenant = try await events.deployed([(type, "on-routed", "{}")])
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let frames = try await feed.frames(until: { $0.event == "run:stop" })
        feed.close()
        #expect(frames.map(\.event) == ["event:published", "run:start", "run:stop"])
        let eventId = try #require(frames.first?.json?["event_id"]?.stringValue)
        let started = try await startedWhileRouting(tenant, eventId: eventId)
        #expect(started.any)
        #expect(started.ours.count == 1)
    }

    @Test("of an event's two runs the routing worker claims one; another worker takes the other while the first is still running")
    func leftRunGoesToAnotherWorker() async throws {
        let type = events.uniqueType("two")
        let tenant = try await Tenant.make()
        _ = try await tenant.createProject("app")
        let manifest = #"{"hot.bundle.test": {event_handlers: {"\#(type)": [{fn: "::app::handlers/on-held", meta: {}}, "#
            + #"{fn: "::app::handlers/on-free", meta: {}}]}, scheduled_functions: {}}}"#
        let buildId = try await tenant.uploadBuild("app", zip: SampleBundle.archive(manifest: manifest, method: .deflate))
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)
        let gate = Gate()
        defer { gate.release() }
        RuntimeScript.shared.on(type) { run in
            run.handlerVar == "on-held" ? .gated(gate, then: .succeed(result: "held")) : .succeed(result: "free")
        }
        let feed = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        defer { feed.close() }
        // The free run ends while the held one is in flight: two workers hold a run of the event at once.
        let first = try #require(try await feed.frames(until: { $0.event == "run:stop" }).last)
        #expect(first.json?["run"]?["result"]?.stringValue == "free")
        #expect(!gate.isReleased)
        gate.release()
        let second = try #require(try await feed.frames(until: { $0.event == "run:stop" }).last)
        #expect(second.json?["run"]?["result"]?.stringValue == "held")
        let eventId = try #require(first.json?["run"]?["event_id"]?.stringValue)
        let started = try await startedWhileRouting(tenant, eventId: eventId)
        #expect(started.any)
        #expect(started.ours.count == 2)
        #expect(started.ours.filter { $0 }.count <= 1)
    }

    @Test("an event:created message wakes the workers of the process that receives it (its publisher sends no work notification)")
    func eventCreatedWakesWorkers() async throws {
        let tenant = try await Tenant.make()
        let work = WorkSignal()
        let waiter = work.waiter()
        let listener = PostgresPubSub(database: tenant.server.database).listener(work: work)
        let streamId = UUID.v7()
        let message = StreamMessages.Outgoing(envId: tenant.envId, streamId: streamId, EnvEventCreatedEvent(
            eventId: UUID.v7(), streamId: streamId, eventType: "woken", type: EnvEventCreatedEvent.event, envId: tenant.envId))
        let payload: JSONValue = .object([
            "k": "msg", "seq": 1, "env": .string(tenant.envId.lowercased), "stream": .string(streamId.lowercased),
            "event": .string(message.event), "data": .string(message.data),
        ])
        await listener.handle(String(decoding: JSONOutput.encode(payload), as: UTF8.self))
        // The signal is given synchronously, so the waiter already holds it; the deadline only
        // bounds a failure.
        let woken = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var wakeUps = waiter.makeAsyncIterator()
                return await wakeUps.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        #expect(woken)
    }
}

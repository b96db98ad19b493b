import Foundation
import HotRuntime
import HotTestSupport
import Testing

/// subscribeRun: one run's updates until it ends, pushed by the hub; and subscribeStreamPost.
@Suite("Run feed")
struct RunFeedTests {
    @Test("a running run's feed gives its state, then its end, and closes; a finished run's feed is its one frame")
    func follow() async throws {
        let tenant = try await Tenant.make()
        let type = "run-feed:\(UUID().lowercased)"
        let gate = Gate()
        RuntimeScript.shared.on(type) { _ in .gated(gate, then: .succeed(result: ["done": true])) }
        _ = try await tenant.createProject("app")
        let zip = SampleBundle.archive(manifest: SampleBundle.manifest(handlers: [(type, "::feed/on", "{}")]), method: .stored)
        let buildId = try await tenant.uploadBuild("app", zip: zip)
        #expect(try await tenant.send(.POST, "/v1/projects/app/builds/\(buildId)/deploy").status == 200)

        let events = try await tenant.sse(.POST, "/v1/streams/subscribe-with-event", body: #"{"event_type":"\#(type)","event_data":{}}"#)
        let start = try await events.frames(until: { $0.event == "run:start" })
        events.close()
        let runId = try #require(start.last?.json?["run"]?["run_id"]?.stringValue)

        let feed = try await tenant.sse(.GET, "/v1/runs/\(runId)/subscribe")
        #expect(feed.status == 200)
        let first = try #require(try await feed.next())
        #expect(first.event == "run:update")
        #expect(first.json?["run"]?["status"]?.stringValue == "running")
        #expect(first.json?["run"]?["run_id"]?.stringValue == runId)
        gate.release()
        let last = try #require(try await feed.next())
        #expect(last.event == "run:update")
        #expect(last.json?["run"]?["status"]?.stringValue == "succeeded")
        #expect(last.json?["run"]?["result"] == .object(["done": true]))
        // The run ended: so does its feed.
        #expect(try await feed.next() == nil)

        let again = try await tenant.sse(.GET, "/v1/runs/\(runId)/subscribe")
        let only = try await again.next()
        #expect(only?.json?["run"]?["status"]?.stringValue == "succeeded")
        #expect(try await again.next() == nil)

        // Another env cannot follow it.
        let stranger = try await Tenant.make()
        let refused = try await stranger.sse(.GET, "/v1/runs/\(runId)/subscribe")
        #expect(refused.status == 404)
        refused.close()

        // POST /v1/streams/{id}/subscribe is the stream's feed, as GET is.
        let streamId = try #require(start.last?.json?["run"]?["stream_id"]?.stringValue)
        let posted = try await tenant.sse(.POST, "/v1/streams/\(streamId)/subscribe")
        #expect(posted.status == 200)
        let snapshot = try await posted.frames(until: { $0.event == "run:stop" })
        #expect(snapshot.last?.json?["run"]?["run_id"]?.stringValue == runId)
        posted.close()
    }
}

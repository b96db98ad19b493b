import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

@Suite("Live feeds")
struct LiveFeedTests {
    /// An app on the shared database and hub whose feeds beat every 100 ms and last 2 s.
    static func shortFeedApp() async throws -> String {
        let server = try await TestServer.shared.running()
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            hub: server.hub, liveFeed: LiveFeed.Settings(heartbeat: .milliseconds(100), lifetime: .seconds(2)))
        return try await TestServer.startApp(environment, logger: server.logger)
    }

    @Test("an idle feed sends keep-alive comments, then stream:complete when its time is up, then ends")
    func heartbeatAndCompletion() async throws {
        var tenant = try await Tenant.make()
        let streamId = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"idle","event_data":{}}"#, id: "stream_id")
        tenant.server.baseURL = try await Self.shortFeedApp()
        let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        var comments = 0
        var last: SSEFrame?
        while let (frame, raw) = try await feed.nextRaw(within: .seconds(10)) {
            if frame.event == ":" {
                comments += 1
                #expect(raw.hasPrefix(": ") && raw.hasSuffix("\n\n"))
            } else {
                last = frame
            }
        }
        // However loaded the machine, twenty beat periods give at least one heartbeat.
        #expect(comments >= 2, "a connected comment and at least one heartbeat")
        #expect(last?.event == "stream:complete")
        #expect(last?.json?["stream_id"]?.stringValue == streamId)
        #expect(last?.json?["type"]?.stringValue == "stream:complete")
    }

    @Test("the env feed shows a session only the streams it may read; another env's stream is a 404")
    func permissionsFilterTheEnvFeed() async throws {
        let tenant = try await Tenant.make()
        let mine = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"a","event_data":{}}"#, id: "stream_id")
        let session = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"stream:\#(mine)":["read"],"env:*":["read"]}}"#)
        let token = try #require(session.json?["data"]?["token"]?.stringValue)
        let feed = try await tenant.sse(.GET, "/v1/env/subscribe", token: token)
        // An event in another stream first, then one in the session's stream: only the latter shows.
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"b","event_data":{}}"#).status == 201)
        #expect(try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"c","event_data":{},"stream_id":"\#(mine)"}"#).status == 201)
        let first = try #require(try await feed.next())
        feed.close()
        #expect(first.event == "event:created")
        #expect(first.json?["event_type"]?.stringValue == "c")
        #expect(first.json?["stream_id"]?.stringValue == mine)

        // A stream the session may not read is refused; another env's stream is not found.
        let other = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"d","event_data":{}}"#, id: "stream_id")
        #expect(try await tenant.send(.GET, "/v1/streams/\(other)/subscribe", token: token).status == 403)
        let stranger = try await Tenant.make()
        #expect(try await stranger.send(.GET, "/v1/streams/\(mine)/subscribe").status == 404)
    }
}

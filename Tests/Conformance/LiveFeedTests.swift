import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

@Suite("Live feeds")
struct LiveFeedTests {
    /// An app on the shared database and hub whose feeds have these settings.
    static func app(_ settings: LiveFeed.Settings) async throws -> String {
        let server = try await TestServer.shared.running()
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: server.pubsub, domainProvider: TestServer.domains, liveFeed: settings)
        return try await TestServer.startApp(environment, logger: server.logger)
    }

    @Test("an idle feed sends keep-alive comments")
    func heartbeats() async throws {
        var tenant = try await Tenant.make()
        let streamId = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"idle","event_data":{}}"#, id: "stream_id")
        tenant.server.baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .milliseconds(100), lifetime: .seconds(120)))
        let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        var comments: [String] = []
        while comments.count < 3, let (frame, raw) = try await feed.nextRaw(within: .seconds(20)) {
            #expect(frame.event == ":", "an idle stream sends nothing else: \(frame)")
            #expect(raw.hasPrefix(": ") && raw.hasSuffix("\n\n"))
            comments.append(frame.data)
        }
        feed.close()
        #expect(comments == ["connected", "keep-alive", "keep-alive"])
    }

    @Test("a feed sends stream:complete when its time is up, then ends")
    func completion() async throws {
        var tenant = try await Tenant.make()
        let streamId = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"idle","event_data":{}}"#, id: "stream_id")
        tenant.server.baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .seconds(60), lifetime: .milliseconds(500)))
        let feed = try await tenant.sse(.GET, "/v1/streams/\(streamId)/subscribe")
        var last: SSEFrame?
        while let (frame, _) = try await feed.nextRaw(within: .seconds(20)) {
            if frame.event != ":" { last = frame }
        }
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

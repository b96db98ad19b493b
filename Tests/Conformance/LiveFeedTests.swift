import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

@Suite("Live feeds")
struct LiveFeedTests {
    /// An app on the shared database and hub whose feeds have these settings.
    /// With `hub`, the app's feeds hang on that hub alone (which the test feeds and counts).
    static func app(_ settings: LiveFeed.Settings, hub: StreamHub? = nil) async throws -> String {
        let server = try await TestServer.shared.running()
        let pubsub = hub.map { PostgresPubSub(database: server.database, hub: $0) } ?? server.pubsub
        let environment = HotApplication.Environment(
            database: server.database, secrets: TestServer.testSecrets, storage: TestServer.storage, uploads: TestServer.uploads,
            pubsub: pubsub, domainProvider: TestServer.domains, liveFeed: settings)
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
        // Messages of `mine`'s first event may come first (its notifications can reach the hub after
        // the feed subscribed, and a worker may handle it); nothing of the other stream may.
        var first = try #require(try await feed.next())
        while !(first.event == "event:created" && first.json?["event_type"]?.stringValue == "c") {
            #expect(first.json?["stream_id"]?.stringValue == mine, "\(first.event): \(first.data)")
            first = try #require(try await feed.next())
        }
        feed.close()
        #expect(first.json?["stream_id"]?.stringValue == mine)

        // A stream the session may not read is refused; another env's stream is not found.
        let other = try await Fixtures.created(tenant, "/v1/events", #"{"event_type":"d","event_data":{}}"#, id: "stream_id")
        #expect(try await tenant.send(.GET, "/v1/streams/\(other)/subscribe", token: token).status == 403)
        let stranger = try await Tenant.make()
        #expect(try await stranger.send(.GET, "/v1/streams/\(mine)/subscribe").status == 404)
    }

    /// A raw request for the tenant's env feed.
    static func envFeedRequest(_ tenant: Tenant) -> String {
        "GET /v1/env/subscribe HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tenant.token)\r\nAccept: text/event-stream\r\n\r\n"
    }

    static func created(_ seq: Int64, env: UUID, padding: Int = 0) -> StreamMessage {
        let data = #"{"type":"event:created","n":\#(seq),"pad":"\#(String(repeating: "x", count: padding))"}"#
        return StreamMessage(seq: seq, envId: env, streamId: nil, projectId: nil, event: "event:created", data: data)
    }

    @Test("a feed that opens a connection is served without the HTTP codec: close-delimited, and its subscription ends when the client leaves")
    func clientLeaving() async throws {
        let tenant = try await Tenant.make()
        let hub = StreamHub()
        let baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .seconds(60), lifetime: .seconds(120)), hub: hub)
        let client = try await RawConnection.open(baseURL)
        try await client.send(Self.envFeedRequest(tenant))
        let head = try #require(try await client.read(until: ": connected\n\n"))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("Content-Type: text/event-stream\r\n"))
        #expect(head.contains("Connection: close\r\n"))
        #expect(head.contains("X-Request-Id: "))
        #expect(!head.lowercased().contains("transfer-encoding"), "the body ends with the connection, not in chunks")
        try await eventually("the subscription") { hub.subscriberCount == 1 }
        hub.publish(Self.created(7, env: tenant.envId))
        let frame = try #require(try await client.read(until: "\n\n"))
        #expect(frame == "id: 7\nevent: event:created\ndata: {\"type\":\"event:created\",\"n\":7,\"pad\":\"\"}\n\n")
        client.close()
        try await eventually("the subscription to end with its connection") { hub.subscriberCount == 0 }
    }

    @Test("a client that stops reading is dropped once its backlog is full, and its connection closed; a reading one goes on")
    func stalledReaderDropped() async throws {
        let tenant = try await Tenant.make()
        let hub = StreamHub(bufferLimit: 8)
        let baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .seconds(60), lifetime: .seconds(120)), hub: hub)
        let stalled = try await RawConnection.open(baseURL)
        try await stalled.send(Self.envFeedRequest(tenant))
        _ = try #require(try await stalled.read(until: ": connected\n\n"))
        let reader = try await RawConnection.open(baseURL, receiveBuffer: 1 << 20)
        try await reader.send(Self.envFeedRequest(tenant))
        _ = try #require(try await reader.read(until: ": connected\n\n"))
        try await eventually("both subscriptions") { hub.subscriberCount == 2 }
        // 64 KiB frames, each awaited by the reader: the stalled client's socket buffers fill, then
        // its backlog, while the reader never falls behind.
        var seq: Int64 = 0
        while hub.subscriberCount == 2 {
            seq += 1
            #expect(seq <= 2000, "the stalled subscriber should have been dropped long before")
            guard seq <= 2000 else { break }
            hub.publish(Self.created(seq, env: tenant.envId, padding: 64 * 1024))
            let frame = try #require(try await reader.read(until: "\"}\n\n"))
            #expect(frame.hasPrefix("id: \(seq)\n"))
        }
        #expect(hub.subscriberCount == 1)
        // The stalled client's connection was closed by the server (what it had not read, then EOF).
        _ = try await stalled.readToEnd(within: .seconds(30))
        hub.publish(Self.created(seq + 1, env: tenant.envId))
        #expect(try await reader.read(until: "\"}\n\n")?.hasPrefix("id: \(seq + 1)\n") == true)
        reader.close()
    }

    @Test("a client that stops reading large frames is dropped at the byte limit, long before the message limit")
    func stalledReaderDroppedByBytes() async throws {
        let tenant = try await Tenant.make()
        // 1,024 messages behind would take 128 MiB of 128 KiB frames; 1 MiB of them is the limit here.
        let hub = StreamHub(bufferLimit: 1024, byteLimit: 1 << 20)
        let baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .seconds(60), lifetime: .seconds(120)), hub: hub)
        let stalled = try await RawConnection.open(baseURL)
        try await stalled.send(Self.envFeedRequest(tenant))
        _ = try #require(try await stalled.read(until: ": connected\n\n"))
        try await eventually("the subscription") { hub.subscriberCount == 1 }
        // A message counts with its size from the moment it is admitted (and its frame until the
        // socket takes it), so publishing without pause reaches the limit whatever the event loop
        // has written yet.
        var seq: Int64 = 0
        while hub.subscriberCount == 1, seq < 1000 {
            seq += 1
            hub.publish(Self.created(seq, env: tenant.envId, padding: 128 * 1024))
        }
        // What the sockets took (a few MiB on loopback) plus the 1 MiB limit: far under 1,024.
        #expect(hub.subscriberCount == 0)
        #expect(seq < 200, "dropped after \(seq) messages of 128 KiB")
        _ = try await stalled.readToEnd(within: .seconds(30))
    }

    @Test("a feed whose lifetime ends while its reader has stopped reading is closed after the 10 s grace, not held open")
    func lifetimeEndsWhileStalled() async throws {
        let tenant = try await Tenant.make()
        // Limits high enough that the reader is not dropped for falling behind: only the grace ends it.
        let hub = StreamHub(bufferLimit: 1024, byteLimit: 256 << 20)
        let lifetime = Duration.seconds(3)
        let baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .seconds(60), lifetime: lifetime), hub: hub)
        let stalled = try await RawConnection.open(baseURL)
        try await stalled.send(Self.envFeedRequest(tenant))
        _ = try #require(try await stalled.read(until: ": connected\n\n"))
        let subscribed = ContinuousClock.now
        try await eventually("the subscription") { hub.subscriberCount == 1 }
        // Frames well within the lifetime, 4 MiB more than the largest send buffer the kernel gives a
        // socket (tcp_wmem's maximum; the reader's receive buffer is 4 KiB): writes stay pending.
        let sendBufferMax = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8))?
            .split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? (4 << 20)
        let frames = Int64(min(400, (sendBufferMax + (4 << 20)) / (512 * 1024) + 1))
        for seq in 1...frames { hub.publish(Self.created(seq, env: tenant.envId, padding: 512 * 1024)) }
        // Ticks end the lifetime (this hub has no ticker but the test); the last frame cannot go out,
        // so only the grace period closes the connection.
        try await Deadline.within(.seconds(45), waitingFor: "the stalled feed to be closed") {
            while hub.subscriberCount > 0 {
                hub.tick()
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let open = ContinuousClock.now - subscribed
        #expect(open >= lifetime + .seconds(9), "closed \(open) after subscribing: before the lifetime and the grace were over")
        stalled.close()
    }

    @Test("a feed asked for on a connection that already answered a request is served too (chunked)")
    func feedAfterAnotherRequest() async throws {
        let tenant = try await Tenant.make()
        let hub = StreamHub()
        let baseURL = try await Self.app(LiveFeed.Settings(heartbeat: .milliseconds(100), lifetime: .seconds(120)), hub: hub)
        let client = try await RawConnection.open(baseURL, receiveBuffer: 1 << 16)
        try await client.send("GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let status = try #require(try await client.read(until: "\"version\":"))
        #expect(status.hasPrefix("HTTP/1.1 200 OK\r\n"))
        try await client.send(Self.envFeedRequest(tenant))
        let head = try #require(try await client.read(until: ": connected\n\n"))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.lowercased().contains("transfer-encoding: chunked"))
        try await eventually("the subscription") { hub.subscriberCount == 1 }
        hub.publish(Self.created(3, env: tenant.envId))
        #expect(try await client.read(until: "\"}\n")?.contains("id: 3\nevent: event:created\n") == true)
        // Served by its task, the feed learns that the client left when a write fails (a heartbeat,
        // paced by the hub's ticks: this hub has no ticker but the test).
        client.close()
        try await eventually("the subscription to end with its connection") {
            hub.tick()
            return hub.subscriberCount == 0
        }
    }

    @Test("a feed request refused (401, 404, 400) is answered in the envelope and its connection closed")
    func refusedFeedRequests() async throws {
        let tenant = try await Tenant.make()
        let hub = StreamHub()
        let baseURL = try await Self.app(LiveFeed.Settings(), hub: hub)
        let requests = [
            ("GET /v1/env/subscribe HTTP/1.1\r\nHost: localhost\r\n\r\n", "401 Unauthorized"),
            ("GET /v1/streams/\(UUID.v7().lowercased)/subscribe HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tenant.token)\r\n\r\n", "404 Not Found"),
            ("POST /v1/streams/subscribe-with-event HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tenant.token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"event_type\"", "400 Bad Request"),
        ]
        for (request, status) in requests {
            let client = try await RawConnection.open(baseURL, receiveBuffer: 1 << 16)
            try await client.send(request)
            let answer = try await client.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(answer)")
            #expect(answer.contains("\"error\":{"))
            #expect(answer.contains("Connection: close\r\n"))
        }
        #expect(hub.subscriberCount == 0)
    }
}

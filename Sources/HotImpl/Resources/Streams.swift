import Foundation
import Generated
import HotRuntime

extension HotService {
    /// What each feed carries, as the spec's `x-hot-sse-events` declares it.
    static let streamFeedEvents = Set(SubscribeStream.descriptor.eventTypes)
    static let envFeedEvents = Set(SubscribeEnv.descriptor.eventTypes)

    public func subscribeStream(_ input: SubscribeStream.Input, context: HotRequestContext) async throws -> SubscribeStream.Output {
        let credential = try context.requireCredential()
        guard try await events.streamExists(envId: credential.envId, streamId: input.streamId) else {
            throw APIError.notFound("Stream not found")
        }
        let projectId = try await projectFilter(input.project, context: context)
        // Subscribed first: whatever happens from here on arrives live.
        let subscription = pubsub.subscribe(envId: credential.envId, streamId: input.streamId)
        do {
            let (initial, through) = try await catchUp(
                streamId: input.streamId, envId: credential.envId, lastEventId: input.lastEventID, projectId: projectId)
            return .ok(LiveFeed.events(
                initial: initial, subscription: subscription, skipThrough: through,
                frame: Self.streamFrame(projectId: projectId), completion: Self.completion(input.streamId), settings: liveFeed, handover: context[FeedHandover.self],
                unsubscribe: { [pubsub] in pubsub.unsubscribe(subscription) }))
        } catch {
            pubsub.unsubscribe(subscription)
            throw error
        }
    }

    /// The same feed, asked for with POST (the official SDK's `subscribePost`).
    public func subscribeStreamPost(_ input: SubscribeStreamPost.Input, context: HotRequestContext) async throws -> SubscribeStreamPost.Output {
        switch try await subscribeStream(
            SubscribeStream.Input(streamId: input.streamId, project: input.project, lastEventID: input.lastEventID), context: context) {
        case .ok(let feed): return .ok(feed)
        }
    }

    /// One run's updates until it ends (docs: subscribeRun): its state first, then a frame for each
    /// of its `run:*` messages, pushed by the hub; the feed ends with the run.
    public func subscribeRun(_ input: SubscribeRun.Input, context: HotRequestContext) async throws -> SubscribeRun.Output {
        let credential = try context.requireCredential()
        guard let found = try await runs.find(envId: credential.envId, runId: input.runId) else { throw APIError.notFound("Run not found") }
        // Subscribed before the run is read again: a change after the read arrives live.
        let subscription = pubsub.subscribe(envId: credential.envId, streamId: found.streamId)
        do {
            guard let run = try await runs.find(envId: credential.envId, runId: input.runId) else { throw APIError.notFound("Run not found") }
            let first = ServerSentEvent(RunUpdateEvent(type: RunUpdateEvent.event, run: run))
            if Self.terminalStatuses.contains(run.status) {
                pubsub.unsubscribe(subscription)
                return .ok(EventStream(events: AsyncStream { continuation in
                    continuation.yield(.comment("connected"))
                    continuation.yield(first)
                    continuation.finish()
                }))
            }
            let runId = input.runId.lowercased
            let update: @Sendable (StreamMessage) -> ServerSentEvent? = { message in
                guard Self.runEvents.contains(message.event), let data = try? JSONValue.parse(Data(message.data.utf8)),
                      let run = data["run"], run["run_id"]?.stringValue == runId,
                      let text = try? JSONValue.object(["type": .string(RunUpdateEvent.event), "run": run]).serialized()
                else { return nil }
                return ServerSentEvent(event: RunUpdateEvent.event, data: String(decoding: text, as: UTF8.self), id: nil)
            }
            return .ok(LiveFeed.events(
                initial: [first], subscription: subscription, skipThrough: 0, frame: update, completion: nil, settings: liveFeed,
                isLast: { message in message.event != "run:start" && update(message) != nil },
                handover: context[FeedHandover.self], unsubscribe: { [pubsub] in pubsub.unsubscribe(subscription) }))
        } catch {
            pubsub.unsubscribe(subscription)
            throw error
        }
    }

    static let runEvents: Set<String> = ["run:start", "run:stop", "run:fail", "run:cancel"]
    static let terminalStatuses: Set<RunStatus> = [.succeeded, .failed, .cancelled]

    public func subscribeWithEvent(_ input: SubscribeWithEvent.Input, context: HotRequestContext) async throws -> SubscribeWithEvent.Output {
        let credential = try context.requireCredential()
        try Self.checkPublishable(input.body.eventType, eventData: input.body.eventData)
        let projectId = try await projectFilter(input.project, context: context)
        let streamId = input.body.streamId ?? UUID.v7()
        // Subscribed before publishing, so no run of this event can be missed.
        let subscription = pubsub.subscribe(envId: credential.envId, streamId: streamId)
        do {
            let event = try await events.publish(
                envId: credential.envId, eventType: input.body.eventType, eventData: input.body.eventData, streamId: streamId)
            let published = ServerSentEvent(EventPublishedEvent(
                type: EventPublishedEvent.event, eventId: event.eventId, streamId: streamId, eventType: event.eventType))
            return .ok(LiveFeed.events(
                initial: [published], subscription: subscription, skipThrough: 0,
                frame: Self.streamFrame(projectId: projectId), completion: Self.completion(streamId), settings: liveFeed, handover: context[FeedHandover.self],
                unsubscribe: { [pubsub] in pubsub.unsubscribe(subscription) }))
        } catch {
            pubsub.unsubscribe(subscription)
            throw error
        }
    }

    public func subscribeEnv(_ input: SubscribeEnv.Input, context: HotRequestContext) async throws -> SubscribeEnv.Output {
        let credential = try context.requireCredential()
        let permissions = PermissionSet(credential.permissions)
        let subscription = pubsub.subscribe(envId: credential.envId, streamId: nil)
        do {
            var initial: [ServerSentEvent] = []
            var through: Int64 = 0
            if let lastEventId = input.lastEventID.flatMap(Int64.init) {
                let missed = try await StreamMessages.env(credential.envId, after: lastEventId, database: database)
                initial = missed.compactMap { Self.envFrame($0, permissions: permissions) }
                through = missed.last?.seq ?? lastEventId
            }
            return .ok(LiveFeed.events(
                initial: initial, subscription: subscription, skipThrough: through,
                frame: { Self.envFrame($0, permissions: permissions) }, completion: nil, settings: liveFeed, handover: context[FeedHandover.self],
                unsubscribe: { [pubsub] in pubsub.unsubscribe(subscription) }))
        } catch {
            pubsub.unsubscribe(subscription)
            throw error
        }
    }

    /// The `project` query parameter's project, or 404.
    func projectFilter(_ idOrName: String?, context: HotRequestContext) async throws -> UUID? {
        guard let idOrName else { return nil }
        return try await project(idOrName, context: context).projectId
    }

    /// What a stream subscriber learns on arrival: with a Last-Event-ID, the messages since; without,
    /// the stream's runs as they stand (so a run that already ended is not missed). Also the seq
    /// through which live messages are already covered.
    func catchUp(streamId: UUID, envId: UUID, lastEventId: String?, projectId: UUID?) async throws -> ([ServerSentEvent], Int64) {
        let frame = Self.streamFrame(projectId: projectId)
        if let lastEventId = lastEventId.flatMap(Int64.init) {
            let missed = try await StreamMessages.stream(streamId, envId: envId, after: lastEventId, database: database)
            return (missed.compactMap(frame), missed.last?.seq ?? lastEventId)
        }
        let through = try await StreamMessages.latestSeq(of: streamId, database: database)
        var initial: [ServerSentEvent] = []
        // Each run's start, and the end of one that ended (as the reference does: a client that
        // correlates a run by its run:start, as the official SDK does, finds it).
        for (run, status) in try await runs.ofStream(envId: envId, streamId: streamId) where projectId == nil || run.projectId == projectId {
            initial.append(ServerSentEvent(RunStartEvent(type: RunStartEvent.event, run: run)))
            switch status {
            case "succeeded": initial.append(ServerSentEvent(RunStopEvent(type: RunStopEvent.event, run: run)))
            case "failed": initial.append(ServerSentEvent(RunFailEvent(type: RunFailEvent.event, run: run)))
            case "cancelled": initial.append(ServerSentEvent(RunCancelEvent(type: RunCancelEvent.event, run: run)))
            default: break
            }
        }
        return (initial, through)
    }

    /// A stream feed's frame for a hub message: run and data events of the (optional) project.
    static func streamFrame(projectId: UUID?) -> @Sendable (StreamMessage) -> ServerSentEvent? {
        { message in
            guard streamFeedEvents.contains(message.event), projectId == nil || message.projectId == projectId else { return nil }
            return ServerSentEvent(event: message.event, data: message.data, id: String(message.seq))
        }
    }

    /// An env feed's frame: what the credential may read (the message's stream).
    static func envFrame(_ message: StreamMessage, permissions: PermissionSet) -> ServerSentEvent? {
        guard envFeedEvents.contains(message.event) else { return nil }
        if let streamId = message.streamId, !permissions.allows("read", on: "stream:\(streamId.lowercased)") { return nil }
        return ServerSentEvent(event: message.event, data: message.envData ?? message.data, id: String(message.seq))
    }

    static func completion(_ streamId: UUID) -> ServerSentEvent {
        ServerSentEvent(StreamCompleteEvent(type: StreamCompleteEvent.event, streamId: streamId))
    }
}

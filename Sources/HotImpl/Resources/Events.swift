import Foundation
import Generated
import HotRuntime

extension HotService {
    public func publishEvent(_ input: PublishEvent.Input, context: HotRequestContext) async throws -> PublishEvent.Output {
        let credential = try context.requireCredential()
        try Self.checkPublishable(input.body.eventType, eventData: input.body.eventData)
        return .created(try await events.publish(
            envId: credential.envId, eventType: input.body.eventType, eventData: input.body.eventData, streamId: input.body.streamId))
    }

    public func listEvents(_ input: ListEvents.Input, context: HotRequestContext) async throws -> ListEvents.Output {
        let credential = try context.requireCredential()
        // Only the event types the credential may read are listed.
        let types = PermissionSet(credential.permissions).paths(for: "read", ofType: "event")
        return .ok(try await events.list(envId: credential.envId, page: PageRequest(limit: input.limit, offset: input.offset), types: types))
    }

    public func getEvent(_ input: GetEvent.Input, context: HotRequestContext) async throws -> GetEvent.Output {
        .ok(try await readableEvent(input.eventId, context: context))
    }

    public func listEventRuns(_ input: ListEventRuns.Input, context: HotRequestContext) async throws -> ListEventRuns.Output {
        let event = try await readableEvent(input.eventId, context: context)
        return .ok(try await runs.ofEvent(envId: event.envId, eventId: event.eventId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    /// The event, when the credential may read its type (404 for another env's, 403 for a type it may not read).
    func readableEvent(_ eventId: UUID, context: HotRequestContext) async throws -> Event {
        let credential = try context.requireCredential()
        guard let event = try await events.find(envId: credential.envId, eventId: eventId) else { throw APIError.notFound("Event not found") }
        guard PermissionSet(credential.permissions).allows("read", on: "event:\(event.eventType)") else {
            throw APIError.forbidden("Credential lacks 'read' on event:\(event.eventType)")
        }
        return event
    }

    /// Types beginning with `hot:` belong to the platform, but for `hot:call`, which must describe a call.
    static func checkPublishable(_ eventType: String, eventData: JSONValue) throws {
        if eventType == FunctionCall.eventType {
            _ = try FunctionCall(eventData: eventData)
        } else if eventType.hasPrefix("hot:") {
            throw APIError.forbidden("Event types beginning with 'hot:' are reserved")
        }
    }
}

import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO
import Tracing

/// Calls made through a webhook or an MCP tool (docs/calls.md): the `hot:call` event, already
/// routed to the function the endpoint names (its build, not whichever project declares the same
/// function), its run queued in the same transaction, then the run's outcome awaited on its stream.
public struct CallQueue: Sendable {
    let database: Database
    let pubsub: any PubSub

    public init(database: Database, pubsub: any PubSub) {
        self.database = database
        self.pubsub = pubsub
    }

    /// Who made a call, stored with its event (`event.caller`): never a secret.
    public struct Caller: Sendable {
        /// `webhook` or `mcp`.
        public var via: String
        public var service: String
        /// The webhook's path, or the tool's name.
        public var name: String
        public var requestId: String
        public var credential: Credential?

        var json: JSONValue {
            var fields: [String: JSONValue] = [
                "via": .string(via), "service": .string(service), "name": .string(name), "request_id": .string(requestId),
                "credential": .null,
            ]
            if let credential {
                fields["credential"] = .object(["kind": .string(credential.kind.rawValue), "id": .string(credential.id.lowercased)])
            }
            return .object(fields)
        }
    }

    /// How a call ended, or that it has not yet.
    public enum Outcome: Sendable, Equatable {
        case succeeded(JSONValue)
        case failed(JSONValue)
        case cancelled
        /// No outcome within the wait: the run goes on, and its result is kept.
        case pending
    }

    /// Queues the call of `target` with `args` and waits up to `timeout` for its run's outcome.
    public func call(envId: UUID, target: ServiceStore.Target, args: [JSONValue], caller: Caller, timeout: Duration,
                     logger: Logger) async throws -> (runId: UUID, outcome: Outcome) {
        // Traced as `webhook call <fn>` (or `mcp call`): the run, wherever it is claimed, is its child.
        try await HotTracing.span("\(caller.via) call \(target.ns)/\(target.var)") { span in
            span?.updateAttributes { attributes in
                attributes["hot.via"] = caller.via
                attributes["hot.service"] = caller.service
                attributes["hot.function"] = "\(target.ns)/\(target.var)"
            }
            let (runId, outcome) = try await callTraced(envId: envId, target: target, args: args, caller: caller, timeout: timeout, logger: logger)
            span?.attributes["hot.run_id"] = runId.lowercased
            span?.attributes["hot.outcome"] = Self.name(of: outcome)
            return (runId, outcome)
        }
    }

    private func callTraced(envId: UUID, target: ServiceStore.Target, args: [JSONValue], caller: Caller, timeout: Duration,
                            logger: Logger) async throws -> (runId: UUID, outcome: Outcome) {
        let streamId = UUID.v7()
        let runId = UUID.v7()
        // Subscribed before the run exists: its end cannot be missed.
        let subscription = pubsub.subscribe(envId: envId, streamId: streamId)
        defer { pubsub.unsubscribe(subscription) }
        try await queue(envId: envId, streamId: streamId, runId: runId, target: target, args: args, caller: caller)
        logger.info("call queued", metadata: [
            "run_id": .string(runId.lowercased), "via": .string(caller.via), "service": .string(caller.service), "fn": "\(target.ns)/\(target.var)",
        ])
        // The wait on the live feed for the run's end, as a span of its own.
        let outcome = await HotTracing.span("await run outcome") { _ in
            await withTaskGroup(of: Outcome?.self) { group in
                group.addTask { await self.outcome(of: runId, in: subscription) }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                // The first to answer: the outcome, or the timeout's nil.
                return await group.next() ?? nil
            }
        }
        if let outcome { return (runId, outcome) }
        // A last look: the run may have ended as the wait did.
        return (runId, try await stored(runId) ?? .pending)
    }

    /// The event, already routed (`event:handled` with its one run), the run and its job: one transaction.
    private func queue(envId: UUID, streamId: UUID, runId: UUID, target: ServiceStore.Target, args: [JSONValue], caller: Caller) async throws {
        let eventData: JSONValue = .object(["fn": .string("\(target.ns)/\(target.var)"), "args": .array(args)])
        let dataText = String(decoding: try eventData.serialized(), as: UTF8.self)
        let callerText = String(decoding: try caller.json.serialized(), as: UTF8.self)
        let eventId = UUID.v7()
        // The call's span: the run continues it in whichever process claims it.
        let trace = TraceContext.current
        try await database.transaction { [pubsub] connection in
            let logger = database.logger
            try await connection.query("INSERT INTO stream (stream_id, env_id) VALUES (\(streamId), \(envId))", logger: logger)
            try await connection.query("""
                INSERT INTO event (event_id, env_id, stream_id, event_type, event_data, caller, routed_at, traceparent, tracestate)
                VALUES (\(eventId), \(envId), \(streamId), \(FunctionCall.eventType), \(dataText)::jsonb, \(callerText)::jsonb, now(),
                        \(trace?.traceparent), \(trace?.tracestate))
                """, logger: logger)
            try await connection.query("""
                INSERT INTO run (run_id, env_id, project_id, build_id, stream_id, event_id, run_type, status, ns, var, meta, module,
                                 traceparent, tracestate)
                VALUES (\(runId), \(envId), \(target.projectId), \(target.buildId), \(streamId), \(eventId), 'call', 'queued',
                        \(target.ns), \(target.var), \(target.metaJSON)::jsonb, \(target.module), \(trace?.traceparent), \(trace?.tracestate))
                """, logger: logger)
            try await connection.query("INSERT INTO run_job (run_id, embedded) VALUES (\(runId), \(target.module != nil))", logger: logger)
            try await pubsub.publish(.init(envId: envId, streamId: streamId, EnvStreamCreatedEvent.created(streamId, in: envId)),
                                     on: connection, logger: logger)
            try await pubsub.publish(.init(envId: envId, streamId: streamId, EnvEventCreatedEvent(
                eventId: eventId, streamId: streamId, eventType: FunctionCall.eventType, type: EnvEventCreatedEvent.event, envId: envId)),
                on: connection, logger: logger)
            try await pubsub.publish(.init(envId: envId, streamId: streamId, EnvEventHandledEvent(
                eventId: eventId, streamId: streamId, eventType: FunctionCall.eventType, type: EnvEventHandledEvent.event, envId: envId,
                runCount: 1)), on: connection, logger: logger)
            try await Notifications.wakeWorkers(on: connection, logger: logger)
        }
    }

    /// The run's end as its stream tells it; when the stream cannot tell (its subscription ended:
    /// notifications stopped, or this subscriber fell behind), the run as stored, asked again at
    /// each of the hub's ticks the subscription still gets, else every half second.
    private func outcome(of runId: UUID, in subscription: StreamHub.Subscription) async -> Outcome? {
        for await message in subscription.messages() {
            if Task.isCancelled { return nil }
            if message.isTick {
                if let stored = try? await stored(runId) { return stored }
                continue
            }
            guard ["run:stop", "run:fail", "run:cancel"].contains(message.event),
                  let data = try? JSONValue.parse(Data(message.data.utf8)), let run = data["run"],
                  run["run_id"]?.stringValue == runId.lowercased
            else { continue }
            return Self.outcome(status: run["status"]?.stringValue, result: run["result"] ?? .null)
        }
        while !Task.isCancelled {
            if let stored = try? await stored(runId) { return stored }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return nil
    }

    /// The run's outcome as stored; nil while it has none.
    private func stored(_ runId: UUID) async throws -> Outcome? {
        let rows = try await database.query("SELECT status, result::text FROM run WHERE run_id = \(runId)").all((String, String?).self)
        guard let (status, resultText) = rows.first else { return nil }
        return Self.outcome(status: status, result: try resultText.map { try JSONValue.parse(Data($0.utf8)) } ?? .null)
    }

    /// The outcome's name, as spans show it.
    static func name(of outcome: Outcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .pending: "pending"
        }
    }

    /// A Hot function's `{"$ok": value}` is its value, as the official SDK's callHot reads it.
    static func unwrapped(_ result: JSONValue) -> JSONValue {
        if case .object(let fields) = result, fields.count == 1, let value = fields["$ok"] { return value }
        return result
    }

    static func outcome(status: String?, result: JSONValue) -> Outcome? {
        switch status {
        case "succeeded": .succeeded(unwrapped(result))
        case "failed": .failed(result)
        case "cancelled": .cancelled
        default: nil
        }
    }
}

import Foundation
import HotRuntime

/// Where runs execute. The shipped implementation is `HTTPRuntime` (docs/runtime-protocol.md);
/// tests substitute their own.
public protocol Runtime: Sendable {
    /// Executes one run. `onData` is called for each `data` line, in order, as it arrives (the
    /// worker publishes it at once as `stream:data`). Never throws: every failure of the runtime
    /// (status, connection, timeout, a stream without an outcome) is a `.failed` outcome.
    func execute(_ request: RuntimeRequest, onData: @escaping @Sendable (RuntimeData) async -> Void) async -> RuntimeOutcome
}

/// The JSON body of `POST $HOT_RUNTIME_URL`.
public struct RuntimeRequest: Sendable, Equatable, Encodable {
    public struct Handler: Sendable, Equatable, Encodable {
        public var ns: String
        public var `var`: String
        public var meta: JSONValue
        public init(ns: String, `var` name: String, meta: JSONValue) { self.ns = ns; self.var = name; self.meta = meta }
    }

    public struct Event: Sendable, Equatable, Encodable {
        public var eventId: UUID
        public var eventType: String
        public var eventData: JSONValue
        public var eventTime: Date
        public init(eventId: UUID, eventType: String, eventData: JSONValue, eventTime: Date) {
            self.eventId = eventId; self.eventType = eventType; self.eventData = eventData; self.eventTime = eventTime
        }
        enum CodingKeys: String, CodingKey { case eventId = "event_id", eventType = "event_type", eventData = "event_data", eventTime = "event_time" }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(eventId.lowercased, forKey: .eventId)
            try container.encode(eventType, forKey: .eventType)
            try container.encode(eventData, forKey: .eventData)
            try container.encode(RFC3339.string(from: eventTime), forKey: .eventTime)
        }
    }

    public struct Schedule: Sendable, Equatable, Encodable {
        public var scheduleId: UUID
        public var cron: String
        public init(scheduleId: UUID, cron: String) { self.scheduleId = scheduleId; self.cron = cron }
        enum CodingKeys: String, CodingKey { case scheduleId = "schedule_id", cron }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(scheduleId.lowercased, forKey: .scheduleId)
            try container.encode(cron, forKey: .cron)
        }
    }

    public var runId: UUID
    public var runType: String
    public var streamId: UUID
    public var envId: UUID
    public var projectId: UUID
    public var buildId: UUID
    public var handler: Handler
    public var event: Event?
    public var schedule: Schedule?
    /// The project's context variables, decrypted: the runtime is the only place they go.
    public var context: [String: String]
    /// Who made a call through a webhook or an MCP tool (docs/runtime-protocol.md), with the
    /// credential's metadata decrypted; nil (and absent from the body) for any other run.
    public var caller: JSONValue?

    public init(runId: UUID, runType: String, streamId: UUID, envId: UUID, projectId: UUID, buildId: UUID,
                handler: Handler, event: Event?, schedule: Schedule?, context: [String: String], caller: JSONValue? = nil) {
        self.runId = runId; self.runType = runType; self.streamId = streamId; self.envId = envId
        self.projectId = projectId; self.buildId = buildId; self.handler = handler; self.event = event
        self.schedule = schedule; self.context = context; self.caller = caller
    }

    /// The id of the HTTP request that made the call, for the run's log lines.
    public var callerRequestId: String? { caller?["request_id"]?.stringValue }

    enum CodingKeys: String, CodingKey {
        case runId = "run_id", runType = "run_type", streamId = "stream_id", envId = "env_id", projectId = "project_id"
        case buildId = "build_id", handler, event, schedule, context, caller
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runId.lowercased, forKey: .runId)
        try container.encode(runType, forKey: .runType)
        try container.encode(streamId.lowercased, forKey: .streamId)
        try container.encode(envId.lowercased, forKey: .envId)
        try container.encode(projectId.lowercased, forKey: .projectId)
        try container.encode(buildId.lowercased, forKey: .buildId)
        try container.encode(handler, forKey: .handler)
        // Present as null when absent, as the protocol documents.
        try container.encode(event, forKey: .event)
        try container.encode(schedule, forKey: .schedule)
        try container.encode(context, forKey: .context)
        try container.encodeIfPresent(caller, forKey: .caller)
    }
}

/// One `{"type":"data","data_type":…,"payload":…}` line of the runtime's answer.
public struct RuntimeData: Sendable, Equatable {
    public var dataType: String
    public var payload: JSONValue
    public init(dataType: String, payload: JSONValue) { self.dataType = dataType; self.payload = payload }
}

/// How a run ended.
public enum RuntimeOutcome: Sendable, Equatable {
    /// `{"type":"result","result":…}` (or a plain `application/json` answer).
    case succeeded(JSONValue)
    /// `{"type":"error","error":…}`, or what went wrong reaching the runtime (as a JSON string).
    case failed(JSONValue)
}

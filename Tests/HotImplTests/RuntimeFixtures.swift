import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import Synchronization

/// Requests, clients and runtimes the HTTPRuntime tests share.
enum RuntimeFixtures {
    static let eventTime = Date(timeIntervalSince1970: 1_735_787_045.678)  // 2025-01-02T03:04:05.678Z
    static let secret = "s3cret-context-value"

    static func request(event: Bool = true, schedule: Bool = false) -> RuntimeRequest {
        RuntimeRequest(
            runId: UUID(), runType: event ? "event" : "schedule", streamId: UUID(), envId: UUID(), projectId: UUID(),
            buildId: UUID(),
            handler: .init(ns: "::app::handlers", var: "on-signup", meta: ["retries": 2]),
            event: event ? .init(eventId: UUID(), eventType: "user:signup", eventData: ["email": "a@b.c"], eventTime: eventTime) : nil,
            schedule: schedule ? .init(scheduleId: UUID(), cron: "*/5 * * * *") : nil,
            context: ["API_KEY": secret, "REGION": "eu"])
    }

    /// Runs `body` with a started test runtime and a fresh client, stopping and shutting both down after.
    @discardableResult
    static func with<T: Sendable>(
        _ handler: @escaping TestRuntime.Handler, _ body: (TestRuntime, HTTPClient) async throws -> T
    ) async throws -> T {
        let runtime = try await TestRuntime.start(handler: handler)
        // The connect bound is the run's (30 s), not a tight one: the singleton event loops are shared
        // by every test of the process, and under the whole suite's load a 2 s bound once expired
        // before a loopback connection was set up, failing a run that had nothing wrong with it.
        // Tests that time out on purpose use the run's own timeout, never this one.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(30))))
        do {
            let result = try await body(runtime, client)
            await runtime.stop()
            try await client.shutdown()
            return result
        } catch {
            await runtime.stop()
            try? await client.shutdown()
            throw error
        }
    }

    @discardableResult
    static func with<T: Sendable>(
        _ behaviour: TestRuntime.Behaviour, _ body: (TestRuntime, HTTPClient) async throws -> T
    ) async throws -> T {
        try await with({ _ in behaviour }, body)
    }

    static func runtime(
        _ testRuntime: TestRuntime, _ client: HTTPClient, token: String? = nil, timeout: Duration = .seconds(30),
        maxLineBytes: Int = HTTPRuntime.defaultMaxLineBytes, logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    ) throws -> HTTPRuntime {
        try HTTPRuntime(
            url: testRuntime.url, token: token, timeout: timeout, httpClient: client, logger: logger, maxLineBytes: maxLineBytes)
    }

    /// Executes one run and returns its outcome with the data lines handed to `onData`, in order.
    static func execute(_ runtime: HTTPRuntime, _ request: RuntimeRequest = request()) async -> (RuntimeOutcome, [RuntimeData]) {
        let received = Mutex<[RuntimeData]>([])
        let outcome = await runtime.execute(request) { data in received.withLock { $0.append(data) } }
        return (outcome, received.withLock { $0 })
    }
}

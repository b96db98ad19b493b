import AsyncHTTPClient
import HotImpl
import HotRuntime
import HotTestSupport
import Synchronization
import Testing

/// The test runtime's own promises, which the project's integration tests lean on.
@Suite struct TestRuntimeTests {
    typealias F = RuntimeFixtures

    @Test func gatedAnswerHoldsTheRunUntilReleased() async throws {
        let gate = Gate()
        try await F.with(.gated(gate, then: .succeed(result: "late"))) { server, client in
            let runtime = try F.runtime(server, client)
            let finished = Mutex(false)
            let run = Task {
                let outcome = await runtime.execute(F.request()) { _ in }
                finished.withLock { $0 = true }
                return outcome
            }
            let arrived = try await server.run(1)
            #expect(arrived.handlerVar == "on-signup")
            // The request is in and its answer is held: the run cannot have finished.
            #expect(!finished.withLock { $0 })
            gate.release()
            #expect(await run.value == .succeeded("late"))
        }
    }

    @Test func handlerChoosesPerRunAndRequestsAreRecordedInOrder() async throws {
        try await F.with({ run in
            run.eventType == "user:signup" ? .succeed(result: "event") : .fail(error: "schedule")
        }) { server, client in
            let runtime = try F.runtime(server, client)
            #expect(await runtime.execute(F.request(event: true)) { _ in } == .succeeded("event"))
            #expect(await runtime.execute(F.request(event: false, schedule: true)) { _ in } == .failed("schedule"))
            #expect(server.received.map(\.number) == [1, 2])
            #expect(server.received.map(\.runType) == ["event", "schedule"])
        }
    }

    @Test func waitingForARequestThatNeverComesHitsTheDeadline() async throws {
        try await F.with(.succeed(result: 1)) { server, _ in
            await #expect(throws: Deadline.Exceeded.self) { try await server.run(1, within: .milliseconds(200)) }
        }
    }

    @Test func stoppingAbandonsHeldAnswers() async throws {
        let never = Gate()
        let server = try await TestRuntime.start(.gated(never, then: .succeed(result: 1)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let runtime = try F.runtime(server, client)
        let run = Task { await runtime.execute(F.request()) { _ in } }
        _ = try await server.run(1)
        await server.stop()
        let outcome = try await Deadline.within(.seconds(10), waitingFor: "the abandoned run") { await run.value }
        guard case .failed = outcome else {
            Issue.record("expected a failed run, got \(outcome)")
            return
        }
        try await client.shutdown()
    }
}

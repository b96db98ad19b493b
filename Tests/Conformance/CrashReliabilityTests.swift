import AsyncHTTPClient
import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

/// What a real `hot-server serve` process keeps when it is killed, or loses its database, under load:
/// nothing it acknowledged.
@Suite("Reliability: crashes and database restarts")
struct CrashReliabilityTests {
    /// Event publishers that run until told to stop or until the server stops answering; every
    /// event acknowledged with 201 is kept, every other answer is counted by status.
    final class Publishers: Sendable {
        private struct State {
            var acknowledged: [String] = []
            var statuses: [Int: Int] = [:]
            /// Non-201 answers that were not a proper 503 envelope, or took too long.
            var problems: [String] = []
            var slowest: Duration = .zero
        }

        private let state = Mutex(State())
        private let stopped = Atomic<Bool>(false)

        var acknowledged: [String] { state.withLock { $0.acknowledged } }
        var statuses: [Int: Int] { state.withLock { $0.statuses } }
        var problems: [String] { state.withLock { $0.problems } }
        var slowest: Duration { state.withLock { $0.slowest } }
        func count(_ status: Int) -> Int { state.withLock { $0.statuses[status] ?? 0 } }

        func stop() { stopped.store(true, ordering: .relaxed) }

        /// `count` publishers against `tenant` until `stop()`, or until a request fails at the
        /// connection (`untilUnreachable`: the process was killed).
        func run(_ tenant: Tenant, eventType: String, count: Int, untilUnreachable: Bool) async {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        while !self.stopped.load(ordering: .relaxed) {
                            let began = ContinuousClock.now
                            let reply: Tenant.Reply
                            do {
                                reply = try await tenant.send(.POST, "/v1/events", body: #"{"event_type":"\#(eventType)","event_data":{"n":1}}"#)
                            } catch {
                                if untilUnreachable { return }
                                self.state.withLock { $0.problems.append("request failed: \(error)") }
                                continue
                            }
                            self.record(reply, took: ContinuousClock.now - began)
                        }
                    }
                }
            }
        }

        private func record(_ reply: Tenant.Reply, took: Duration) {
            state.withLock { state in
                state.statuses[reply.status, default: 0] += 1
                state.slowest = max(state.slowest, took)
                if reply.status == 201, let id = reply.json?["data"]?["event_id"]?.stringValue {
                    state.acknowledged.append(id)
                } else if reply.status != 503 || reply.json?["error"]?["code"]?.stringValue != "service_unavailable" {
                    state.problems.append("\(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
                }
            }
        }
    }

    /// Waits until every event of `ids` exists and has a run that succeeded (routed and executed).
    static func expectRouted(_ ids: [String], _ tenant: Tenant, within limit: Duration) async throws {
        try await Deadline.within(limit, waitingFor: "every acknowledged event to be routed and run") {
            var remaining = Set(ids)
            while true {
                for id in Array(remaining) {
                    let event = try await tenant.send(.GET, "/v1/events/\(id)")
                    guard event.status == 200 else { throw TestFailure("acknowledged event \(id) answers \(event.status): lost") }
                    let runs = try await tenant.send(.GET, "/v1/events/\(id)/runs")
                    guard case .array(let items)? = runs.json?["data"] else { continue }
                    if items.contains(where: { $0["status"]?.stringValue == "succeeded" }) {
                        remaining.remove(id)
                    }
                }
                if remaining.isEmpty { return }
                // Polls (the deadline bounds it): runs of a killed process wait out their lease.
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Stops the managed cluster a killed process left running on `dataDirectory`.
    static func stopLeftCluster(_ dataDirectory: URL) {
        if let pid = try? String(contentsOf: dataDirectory.appendingPathComponent("postgres/postmaster.pid"), encoding: .utf8)
            .split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGINT)
        }
    }

    @Test("kill -9 under a publish load, 10 times: every event acknowledged with 201 exists afterwards and is routed and run")
    func killUnderLoad() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-kill-load")
        defer {
            Self.stopLeftCluster(dataDirectory)
            try? FileManager.default.removeItem(at: dataDirectory)
        }
        let runtime = try await TestRuntime.start(.succeed(result: "ok"))
        let settings = ["HOT_RUNTIME_URL": runtime.url, "HOT_RUN_LEASE": "2"]
        var process = try await ServeProcess.start(dataDirectory, environment: settings)
        var tenant = try await process.tenant(dataDirectory)
        try await tenant.deployHandler(project: "load", eventType: "load:tick", fn: "::load/on-tick")

        let publishers = Publishers()
        for cycle in 1...10 {
            let before = publishers.acknowledged.count
            let load = Task { [tenant] in await publishers.run(tenant, eventType: "load:tick", count: 4, untilUnreachable: true) }
            // A few acknowledgements into the cycle, with requests in flight, the process dies.
            try await Deadline.within(.seconds(30), waitingFor: "events acknowledged in cycle \(cycle)") {
                while publishers.acknowledged.count < before + 15 { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await process.kill()
            await load.value
            process = try await ServeProcess.start(dataDirectory, environment: settings)
            tenant.server.baseURL = process.baseURL
        }
        defer { if process.process.isRunning { process.process.terminate() } }

        #expect(publishers.problems.isEmpty, "\(publishers.problems.prefix(5))")
        let acknowledged = publishers.acknowledged
        #expect(acknowledged.count >= 150)
        try await Self.expectRouted(acknowledged, tenant, within: .seconds(120))
        #expect(try await process.stop() == 0)
        await runtime.stop()
    }
}

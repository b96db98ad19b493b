import AsyncHTTPClient
import Foundation
import HotImpl
import HotLocalCluster
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
            /// Publish requests sent, answered or not.
            var sent = 0
            var acknowledged: [String] = []
            var statuses: [Int: Int] = [:]
            /// Non-201 answers that were not a proper 503 envelope, or took too long.
            var problems: [String] = []
            var slowest: Duration = .zero
        }

        private let state = Mutex(State())
        private let stopped = Atomic<Bool>(false)

        var sent: Int { state.withLock { $0.sent } }
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
                            self.state.withLock { $0.sent += 1 }
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

    /// Stops the managed cluster a killed process left running on `dataDirectory`, and waits for it
    /// to go, so its directory can be removed (a postmaster still shutting down wrote files into it
    /// as it was removed, and left it behind). One still running after 10 s fails the test.
    static func stopLeftCluster(_ dataDirectory: URL) async {
        // No pid file: no cluster was left.
        guard let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postgres/postmaster.pid"), encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }),
              kill(pid, SIGINT) == 0
        else { return }
        @Sendable func gone() -> Bool {
            // Exited: no such process, or a zombie nobody has reaped yet.
            guard kill(pid, 0) == 0 else { return true }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        do {
            try await Deadline.within(.seconds(10), waitingFor: "the PostgreSQL a killed server left (pid \(pid)) to stop") {
                // Polls: another process's exit sends nothing here (the deadline bounds it).
                while !gone() { try await Task.sleep(for: .milliseconds(20)) }
            }
        } catch {
            Issue.record("\(error)")
        }
    }

    /// Stops a serve process that is still running (the test failed before it did), and waits for it.
    static func stopIfRunning(_ process: ServeProcess?) async {
        guard let process, process.process.isRunning else { return }
        do {
            try await process.stop()
        } catch {
            Issue.record("the serve process \(process.process.processIdentifier) did not stop: \(error)")
        }
    }

    /// Runs `body`, then `tearDown` however `body` ended (a `defer` cannot await).
    static func finally(_ body: () async throws -> Void, tearDown: () async -> Void) async throws {
        do {
            try await body()
        } catch {
            await tearDown()
            throw error
        }
        await tearDown()
    }

    @Test("kill -9 under a publish load, 10 times: every event acknowledged with 201 exists afterwards and is routed and run")
    func killUnderLoad() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-kill-load")
        let runtime = try await TestRuntime.start(.succeed(result: "ok"))
        let publishers = Publishers()
        // The process of the current cycle: whichever it is when the test ends, passing or failing,
        // is stopped, with the cluster a killed one left running.
        var current: ServeProcess?
        try await Self.finally {
            let settings = ["HOT_RUNTIME_URL": runtime.url, "HOT_RUN_LEASE": "2"]
            var process = try await ServeProcess.start(dataDirectory, environment: settings)
            current = process
            var tenant = try await process.tenant(dataDirectory)
            try await tenant.deployHandler(project: "load", eventType: "load:tick", fn: "::load/on-tick")

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
                current = process
                tenant.server.baseURL = process.baseURL
            }

            #expect(publishers.problems.isEmpty, "\(publishers.problems.prefix(5))")
            let acknowledged = publishers.acknowledged
            // Every acknowledgement names an event of its own, and each is stored, routed and run …
            #expect(Set(acknowledged).count == acknowledged.count, "an event id acknowledged twice")
            try await Self.expectRouted(acknowledged, tenant, within: .seconds(120))
            // … and nothing was stored that the load did not send: events a killed process stored
            // without answering count among the requests sent, none twice.
            let list = try await tenant.send(.GET, "/v1/events?limit=1")
            guard case .int(let stored)? = list.json?["pagination"]?["total"] else {
                throw TestFailure("listing events answered \(list.status): \(String(decoding: list.body, as: UTF8.self))")
            }
            let sent = publishers.sent
            #expect(Int(stored) >= acknowledged.count, "stored \(stored) events; acknowledged \(acknowledged.count)")
            #expect(Int(stored) <= sent, "stored \(stored) events; sent \(sent)")
            #expect(try await process.stop() == 0)
        } tearDown: {
            publishers.stop()
            await Self.stopIfRunning(current)
            await Self.stopLeftCluster(dataDirectory)
            try? FileManager.default.removeItem(at: dataDirectory)
            await runtime.stop()
        }
    }

    @Test("PostgreSQL stopped under a publish load: 503 service_unavailable within the bound, no hang; back by itself once it restarts; nothing acknowledged lost")
    func databaseRestart() async throws {
        let root = try ServeProcess.dataDirectory("hot-pg-restart")
        var logger = Logger(label: "hot-server.tests.pg-restart")
        logger.logLevel = .warning
        // A cluster of the test's own, so it can be stopped and started under the server.
        let cluster = LocalCluster(
            configuration: LocalClusterConfiguration(dataDirectory: root.appendingPathComponent("postgres"), durable: false), logger: logger)
        let runtime = try await TestRuntime.start(.succeed(result: "ok"))
        let publishers = Publishers()
        var started: ServeProcess?
        try await Self.finally {
            let endpoint = try await cluster.start()
            let wait = 2
            let settings = ["HOT_DATABASE_URL": endpoint.url, "HOT_RUNTIME_URL": runtime.url, "HOT_DATABASE_WAIT": "\(wait)", "HOT_RUN_LEASE": "2"]
            let dataDirectory = root.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            let process = try await ServeProcess.start(dataDirectory, environment: settings)
            started = process
            var environment = ProcessInfo.processInfo.environment.merging(settings) { $1 }
            environment["HOT_DATA_DIR"] = dataDirectory.path
            let key = try await ChildProcess.run(CommandLineTests.executable, ["keys", "create", "--name", "restart"], environment: environment)
            let token = try #require(key.stdout.split(separator: "\n").last.map(String.init), "keys create: \(key.stderr)")
            var server = try await TestServer.shared.running()
            server.baseURL = process.baseURL
            let tenant = Tenant(server: server, envId: UUID(), envName: "development", token: token, keyId: UUID())
            try await tenant.deployHandler(project: "restart", eventType: "restart:tick", fn: "::restart/on-tick")

            let load = Task { [tenant] in await publishers.run(tenant, eventType: "restart:tick", count: 4, untilUnreachable: false) }
            try await Deadline.within(.seconds(30), waitingFor: "events acknowledged before the stop") {
                while publishers.acknowledged.count < 20 { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await cluster.stop()

            // Down: publishes answer 503 in the envelope, and so do reads, each within the bound;
            // what needs no database still answers.
            do {
                try await Deadline.within(.seconds(30), waitingFor: "503 answers while PostgreSQL is down") {
                    while publishers.count(503) < 8 { try await Task.sleep(for: .milliseconds(20)) }
                }
            } catch {
                Issue.record("answers so far: \(publishers.statuses), problems: \(publishers.problems.prefix(3))")
                throw error
            }
            let began = ContinuousClock.now
            let read = try await tenant.send(.GET, "/v1/runs")
            #expect(read.status == 503)
            #expect(read.json?["error"]?["code"]?.stringValue == "service_unavailable")
            #expect(read.headers.first(name: "Retry-After") == "1")
            // One bound, or two when the pool loses a cancellation (the watch then gives up on its next turn), plus a loaded machine's slack.
            #expect(ContinuousClock.now - began < .seconds(2 * wait + 4))
            #expect(try await tenant.send(.GET, "/status", authorized: false).status == 200)

            // Back: publishes are acknowledged again, with no restart of hot-server.
            _ = try await cluster.start()
            let down = publishers.acknowledged.count
            try await Deadline.within(.seconds(60), waitingFor: "publishes acknowledged after PostgreSQL restarted") {
                while publishers.acknowledged.count < down + 20 { try await Task.sleep(for: .milliseconds(20)) }
            }
            publishers.stop()
            await load.value

            // Every answer was a 201 or a 503 envelope, none came much past the bound, and every event
            // acknowledged (before, around and after the restart) is stored and runs.
            #expect(publishers.problems.isEmpty, "\(publishers.problems.prefix(5))")
            // The bound is two waits (a connection's, and the one more a statement on a closed
            // connection gets); the 7 s beyond it are a loaded machine's scheduling, not a hang,
            // which would last as long as PostgreSQL stays down (a slowest answer of 9.07 s against
            // 9 s once failed this under a parallel release build).
            #expect(publishers.slowest < .seconds(2 * wait + 7), "slowest answer: \(publishers.slowest)")
            try await Self.expectRouted(publishers.acknowledged, tenant, within: .seconds(60))
            #expect(try await process.stop() == 0)
        } tearDown: {
            publishers.stop()
            await Self.stopIfRunning(started)
            do {
                try await cluster.stop()
            } catch {
                Issue.record("the test's PostgreSQL did not stop: \(error)")
            }
            try? FileManager.default.removeItem(at: root)
            await runtime.stop()
        }
    }

    @Test("credential uses whose write finds no database (503 within the bound) are kept and written by the next write")
    func usageKeptWhenWriteFails() async throws {
        let server = try await TestServer.shared.running()
        let usage = CredentialUsage()
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: SystemWallClock(), usage: usage))
        let created = try await tenant.send(.POST, "/v1/sessions", body: #"{"permissions":{"env:*":["read"]}}"#)
        let token = try #require(created.json?["data"]?["token"]?.stringValue)
        func lastUsed() async throws -> String? {
            let list = try await tenant.send(.GET, "/v1/sessions")
            guard case .array(let items)? = list.json?["data"] else { return nil }
            return items.first?["last_used_at"]?.stringValue
        }
        #expect(try await tenant.send(.GET, "/v1/env", token: token).status == 200)

        // No connection ever comes, and the wait is bounded.
        let unreachable = TestServer.unreachableDatabase(logger: server.logger, wait: .milliseconds(300))
        let began = ContinuousClock.now
        let error = await #expect(throws: APIError.self) { try await usage.flush(unreachable) }
        #expect(error?.status == .serviceUnavailable)
        #expect(error?.code == "service_unavailable")
        #expect(ContinuousClock.now - began < .seconds(10))
        #expect(try await lastUsed() == nil)

        // Kept: the next write records it, once.
        #expect(try await usage.flush(server.database) == 1)
        #expect(try await lastUsed() != nil)
        #expect(try await usage.flush(server.database) == 0)
    }
}

import Foundation
import Logging
import ServiceLifecycle

/// Fires the deployed builds' schedules on their cron (UTC). Every process runs one; a firing is
/// claimed in the database, so each creates exactly one run however many processes tick. Firings
/// missed while no scheduler ran are not replayed: each pass looks only at the time since the last.
public struct Scheduler: Service {
    let router: RunRouter
    let clock: any WallClock
    let interval: Duration
    let logger: Logger

    /// What a scheduler remembers between passes.
    public struct State: Sendable {
        /// Firings after this instant are due.
        public var lastChecked: Date
        var crons: [String: CronExpression] = [:]
        /// Crons that could not be read, already logged once.
        var unreadableCrons: Set<String> = []

        public init(lastChecked: Date) {
            self.lastChecked = lastChecked
        }
    }

    public init(database: Database, pubsub: any PubSub, clock: any WallClock = SystemWallClock(), interval: Duration = .seconds(1),
                logger: Logger) {
        self.router = RunRouter(database: database, pubsub: pubsub)
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var state = State(lastChecked: clock.now())
            while !Task.isCancelled {
                do {
                    try await tick(&state)
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
                }
                guard await pause(interval) else { return }
            }
        }
    }

    /// One pass: queues a run for every firing of every deployed schedule in (lastChecked, now].
    /// Returns the runs this pass queued.
    @discardableResult
    public func tick(_ state: inout State) async throws -> [UUID] {
        let now = clock.now()
        defer { state.lastChecked = now }
        var queued: [UUID] = []
        for schedule in try await router.deployedSchedules() {
            let cron: CronExpression
            if let known = state.crons[schedule.cron] {
                cron = known
            } else {
                guard !state.unreadableCrons.contains(schedule.cron) else { continue }
                do {
                    cron = try CronExpression(schedule.cron)
                } catch {
                    // Uploads check every cron, so only a row written otherwise gets here; it never
                    // fires, and is logged once.
                    state.unreadableCrons.insert(schedule.cron)
                    logger.error("a deployed schedule has a cron that cannot be read; it never fires", metadata: [
                        "schedule_id": .string(schedule.scheduleId.lowercased), "cron": .string(schedule.cron), "error": "\(error)",
                    ])
                    continue
                }
                state.crons[schedule.cron] = cron
            }
            var next = cron.next(after: state.lastChecked)
            while let fireTime = next, fireTime <= now {
                if let runId = try await router.fire(schedule, at: fireTime) { queued.append(runId) }
                next = cron.next(after: fireTime)
            }
        }
        return queued
    }
}

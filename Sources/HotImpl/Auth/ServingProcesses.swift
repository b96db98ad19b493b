import Foundation
import HotRuntime
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// How many `serve` processes share the database, so an org's rate limit holds for the deployment
/// as a whole: each process refills an org's bucket at `rate / live` (and holds `burst / live`),
/// with no database write per request. Each process announces itself with a heartbeat row
/// (`serving_process`, written every `interval`) and counts the rows fresh within `lifetime`.
///
/// What this assumes: requests of an org spread over the processes about evenly (a load balancer
/// does). When they do not, the org gets less than its plan's rate, never more. A process that joins
/// is counted by the others within `interval`; one that dies without a word, within `lifetime`
/// (until then the rest divide by one too many: again less, never more).
public final class ServingProcesses: Sendable {
    public let id: UUID
    private let live = Atomic<Int>(1)

    public init(id: UUID = UUID.v7()) {
        self.id = id
    }

    /// The live serve processes as last counted (this one included; 1 before the first count).
    public var count: Int { live.load(ordering: .relaxed) }

    /// This process's share of a deployment-wide allowance.
    func share(of amount: Double) -> Double {
        amount / Double(max(1, count))
    }

    func set(_ count: Int) {
        live.store(max(1, count), ordering: .relaxed)
    }

    /// The service that writes the heartbeat and counts the live processes.
    public func heartbeat(database: Database, interval: Duration = .seconds(1), lifetime: Duration = .seconds(10)) -> Heartbeat {
        Heartbeat(processes: self, database: database, interval: interval, lifetime: lifetime)
    }

    public struct Heartbeat: Service {
        let processes: ServingProcesses
        let database: Database
        let interval: Duration
        let lifetime: Duration

        public func run() async throws {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await beat()
                    } catch is CancellationError {
                        break
                    } catch {
                        database.logger.warning("could not write the serving heartbeat", metadata: ["error": "\(error)"])
                    }
                    guard await pause(interval) else { break }
                }
            }
            // Gone: the others count one fewer at their next beat, not `lifetime` later.
            do {
                try await database.query("DELETE FROM serving_process WHERE process_id = \(processes.id)")
            } catch {
                database.logger.warning("could not withdraw this serve process; the others count it until its heartbeat expires", metadata: [
                    "process_id": "\(processes.id)", "lifetime": "\(lifetime)", "error": "\(error)",
                ])
            }
        }

        /// Counts the others alive, then announces itself with the count it now divides by (what
        /// an operator, or a test, can read to see the share each process applies).
        func beat() async throws {
            let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
            let others = try await database.query("""
                SELECT count(*)::bigint FROM serving_process
                WHERE process_id <> \(processes.id) AND heartbeat_at > now() - make_interval(secs => \(seconds))
                """).all(Int.self).first ?? 0
            let live = others + 1
            if live != processes.count {
                database.logger.info("serve processes on this database", metadata: ["live": "\(live)"])
            }
            processes.set(live)
            try await database.query("""
                INSERT INTO serving_process (process_id, heartbeat_at, live_seen) VALUES (\(processes.id), now(), \(live))
                ON CONFLICT (process_id) DO UPDATE SET heartbeat_at = now(), live_seen = \(live)
                """)
            // Rows of processes long dead (killed, never deleted their own).
            try await database.query("DELETE FROM serving_process WHERE heartbeat_at < now() - interval '1 day'")
        }
    }
}

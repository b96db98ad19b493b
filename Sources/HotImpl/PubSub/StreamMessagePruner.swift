import Foundation
import ServiceLifecycle

/// Drops live messages once no subscriber can still ask for them (reconnections come within
/// seconds; an hour is generous).
struct StreamMessagePruner: Service {
    let database: Database
    var retention: Duration = .seconds(3600)
    var interval: Duration = .seconds(300)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await StreamMessages.prune(olderThan: retention, database: database)
                } catch is CancellationError {
                    return
                } catch {
                    database.logger.warning("could not prune stream messages", metadata: ["error": "\(error)"])
                }
                guard await pause(interval) else { return }
            }
        }
    }
}

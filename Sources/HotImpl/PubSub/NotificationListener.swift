import Foundation
import Generated
import HotRuntime
import Logging
import PostgresNIO
import ServiceLifecycle

/// The process's one LISTEN connection: stream messages go to the hub (so a subscriber here sees
/// what a worker on any process does), work notifications and `event:created` messages (an event
/// to route: its publisher sends no separate work notification) wake the workers, and credential and
/// project changes evict from the credential and project caches (both bypassed whenever this is
/// not listening).
public struct NotificationListener: Service {
    let database: Database
    let hub: StreamHub
    let work: WorkSignal
    let credentials: CredentialCache?
    let projects: ProjectCache?

    public init(database: Database, hub: StreamHub, work: WorkSignal, credentials: CredentialCache? = nil, projects: ProjectCache? = nil) {
        self.database = database
        self.hub = hub
        self.work = work
        self.credentials = credentials
        self.projects = projects
    }

    /// The caches learn whether changes reach them: when they may not, they are emptied and bypassed.
    func caches(listening: Bool) {
        credentials?.listening(listening)
        projects?.listening(listening)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            defer { caches(listening: false) }
            var delay = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    try await database.withLiveConnection { connection in
                        try await connection.listen(on: StreamMessages.channel) { notifications in
                            database.logger.debug("listening for notifications")
                            caches(listening: true)
                            // Anything that happened while not listening: workers look for it now.
                            work.signal()
                            for try await notification in notifications {
                                await handle(notification.payload)
                            }
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    database.logger.warning("notification listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                }
                // Changes may go unseen now: the cache is bypassed until listening again.
                caches(listening: false)
                // Subscribers may have missed messages: they reconnect and resume from their last id.
                hub.disconnectAll()
                // Throws only when cancelled, which the loop's condition then sees.
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    struct Payload: Decodable {
        var k: String
        var seq: Int64?
        var env: UUID?
        var stream: UUID?
        var project: UUID?
        var event: String?
        var data: String?
        var env_data: String?
        var id: UUID?
    }

    func handle(_ text: String) async {
        let payload: Payload
        do {
            payload = try JSONCoding.decoder.decode(Payload.self, from: Data(text.utf8))
        } catch {
            database.logger.warning("unreadable notification", metadata: [
                "payload": .string(String(text.prefix(200))), "error": "\(error)",
            ])
            return
        }
        switch payload.k {
        case "work":
            work.signal()
        case "cred", "apikey", "env", "org":
            guard let id = payload.id else { return }
            let change: CredentialCache.Change = switch payload.k {
            case "cred": .credential(id)
            case "apikey": .apiKey(id)
            case "env": .env(id)
            default: .org(id)
            }
            credentials?.evict(change)
        case "project":
            // Without an env (a notification of another version), every env's lists go.
            projects?.evict(payload.id, envId: payload.env)
        case "msg":
            guard let seq = payload.seq else { return }
            if let env = payload.env, let event = payload.event, let data = payload.data {
                hub.publish(StreamMessage(seq: seq, envId: env, streamId: payload.stream, projectId: payload.project, event: event,
                                          data: data, envData: payload.env_data))
                if event == EnvEventCreatedEvent.event { work.signal() }
            } else {
                // Too large to travel in the notification: read from its table.
                do {
                    if let message = try await StreamMessages.message(seq: seq, database: database) {
                        hub.publish(message)
                        if message.event == EnvEventCreatedEvent.event { work.signal() }
                    }
                } catch {
                    database.logger.warning("could not read a stream message; live feeds on this process miss it", metadata: [
                        "seq": "\(seq)", "error": "\(error)",
                    ])
                }
            }
        default:
            break
        }
    }
}

import ServiceLifecycle

/// The hub's pulse: feeds count time by it (heartbeats, their lifetime).
public struct HubTicker: Service {
    let hub: StreamHub
    let interval: Duration

    public init(hub: StreamHub, interval: Duration = .seconds(1)) {
        self.hub = hub
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard await pause(interval) else { return }
                hub.tick()
            }
        }
    }
}

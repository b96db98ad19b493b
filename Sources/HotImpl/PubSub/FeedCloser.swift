import ServiceLifecycle

/// Ends the process's live feeds as soon as it begins to shut down. Listed after the HTTP server,
/// it is told first, so the server's graceful shutdown (which waits for responses in flight) is
/// not held for minutes by SSE subscribers; they reconnect and resume with `Last-Event-ID`.
public struct FeedCloser: Service {
    let hub: StreamHub

    public init(hub: StreamHub) {
        self.hub = hub
    }

    public func run() async throws {
        // Throws only when this task is cancelled: the process is ending then too, so the feeds end.
        try? await gracefulShutdown()
        hub.close()
    }
}

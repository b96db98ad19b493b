import ServiceLifecycle

/// The worker process's lifetime: until SIGTERM or SIGINT.
public enum WorkerSupervisor {
    public static func waitForShutdown() async throws {
        let group = ServiceGroup(services: [IdleService()], gracefulShutdownSignals: [.sigterm, .sigint], logger: .init(label: "hot-server.worker"))
        try await group.run()
    }
}

/// Holds a service group open until graceful shutdown.
struct IdleService: Service {
    func run() async throws {
        try await gracefulShutdown()
    }
}

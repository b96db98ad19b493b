import ServiceLifecycle

/// Runs `service` once the database is ready.
struct AfterReady<Wrapped: Service>: Service {
    let ready: DatabaseReady
    let wrapped: Wrapped

    init(_ ready: DatabaseReady, _ wrapped: Wrapped) {
        self.ready = ready
        self.wrapped = wrapped
    }

    func run() async throws {
        try await ready.wait()
        try await wrapped.run()
    }
}

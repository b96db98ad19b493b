/// Bounds a test's wait for something that should happen soon, so a broken behaviour fails the test
/// instead of hanging it. This is a limit, not a synchronisation: the operation is expected to finish
/// well before it.
public enum Deadline {
    /// The operation did not finish in time.
    public struct Exceeded: Error, CustomStringConvertible, Sendable {
        public let what: String
        public let limit: Duration
        public var description: String { "timed out after \(limit) waiting for \(what)" }
    }

    /// Runs `operation`, cancelling it and throwing `Exceeded` if it has not finished within `limit`.
    /// The operation must end promptly when cancelled.
    public static func within<T: Sendable>(
        _ limit: Duration, waitingFor what: String, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Exceeded(what: what, limit: limit)
            }
            return value
        }
    }
}

import Foundation
import HotImpl
import PostgresNIO

/// Bundles for tests: a manifest as the hot CLI writes it, zipped.
public enum SampleBundle {
    /// One event handler (`user.signup`, with `retry: 3` in its meta) and one daily schedule.
    public static let manifest = """
        {"hot.bundle.my-project": {
          name: "my-project",
          event_handlers: {
            "user.signup": [{fn: "::myapp::handlers/on-user-signup", meta: {retry: 3}, file: "src/handlers.hot", line: 3, column: 1, position: 40}],
          },
          scheduled_functions: {
            "0 0 * * *": [{fn: "::myapp::tasks/daily-cleanup", meta: {}, file: "src/tasks.hot", line: 7, column: 1, position: 90}],
          },
        }}
        """

    /// A manifest declaring these handlers (event type, `fn`, meta as Hot literal text) and schedules (cron, `fn`).
    public static func manifest(handlers: [(eventType: String, fn: String, meta: String)] = [], schedules: [(cron: String, fn: String)] = []) -> String {
        let handlerText = handlers.map { #""\#($0.eventType)": [{fn: "\#($0.fn)", meta: \#($0.meta)}]"# }.joined(separator: ", ")
        let scheduleText = schedules.map { #""\#($0.cron)": [{fn: "\#($0.fn)", meta: {}}]"# }.joined(separator: ", ")
        return #"{"hot.bundle.test": {event_handlers: {\#(handlerText)}, scheduled_functions: {\#(scheduleText)}}}"#
    }

    /// The sample manifest and one source file, stored.
    public static let zip = archive(manifest: manifest, method: .stored)

    /// `entries` as a zip.
    public static func archive(_ entries: [ZipFixture.Entry]) -> Data {
        ZipFixture(entries).build()
    }

    /// A bundle with `manifest` (none when nil) and a source file, every entry compressed with `method`.
    public static func archive(manifest: String?, method: ZipFixture.Method) -> Data {
        // Compressing what tests hand in cannot fail but for a missing libzstd, which the tests need.
        var entries = [try! ZipFixture.Entry("src/handlers.hot", "ns ::myapp::handlers\n", method: method)]
        if let manifest { entries.append(try! ZipFixture.Entry("manifest.hot", manifest, method: method)) }
        return archive(entries)
    }

    /// A build of type `live` (the API has no way to make one: the hot CLI's dev mode does).
    public static func insertLiveBuild(projectId: UUID, envId: UUID, database: Database) async throws {
        try await database.client.query("""
            INSERT INTO build (build_id, project_id, env_id, hash, size, build_type, storage_path, storage_backend)
            VALUES (\(UUID()), \(projectId), \(envId), \(String(repeating: "0", count: 64)), 0, 'live', NULL, NULL)
            """, logger: database.logger)
    }
}

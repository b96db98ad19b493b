import Foundation
import Generated
import HotRuntime
import Logging

/// Implements the generated `HotAPI` against PostgreSQL. One file per resource holds its
/// operations (Resources/); cross-cutting concerns live in Auth/ and HotRuntime.
public struct HotService: HotAPI {
    public struct BuildInfo: Sendable {
        public var version: String
        public var gitSha: String
        public var startTime: Date

        public init(version: String, gitSha: String, startTime: Date) {
            self.version = version
            self.gitSha = gitSha
            self.startTime = startTime
        }
    }

    let buildInfo: BuildInfo
    let envs: EnvStore
    let projects: ProjectStore

    public init(database: Database, buildInfo: BuildInfo) {
        self.buildInfo = buildInfo
        self.envs = EnvStore(database: database)
        self.projects = ProjectStore(database: database)
    }

    /// The project a path's `project_id_or_slug` designates in the credential's env, or 404.
    func project(_ idOrSlug: String, context: HotRequestContext) async throws -> Project {
        let credential = try context.requireCredential()
        guard let project = try await projects.find(envId: credential.envId, idOrName: idOrSlug) else {
            throw APIError.notFound("Project not found")
        }
        return project
    }
}

import Foundation
import Generated
import HotRuntime
import HotUploads
import HotWasm
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
    let clock: any WallClock
    let projects: ProjectStore
    let sessions: SessionStore
    let serviceKeys: ServiceKeyStore
    let builds: BuildStore
    let contexts: ContextStore
    let usage: UsageStore
    let storage: any BuildStorage
    public let uploadPolicy: UploadPolicy
    let events: EventStore
    let runs: RunStore
    let pubsub: any PubSub
    let liveFeed: LiveFeed.Settings
    let domains: DomainStore
    /// Verifications and first certificate requests go through the same steps as background checks.
    let domainChecker: DomainChecker
    /// Revocations evict here at once (other processes learn of them from the notification).
    let credentialCache: CredentialCache?
    /// Projects read lately; changes made here evict at once (others through the listener).
    let projectCache: ProjectCache?
    let database: Database
    /// The embedded runtime's limits, which uploads check their modules against.
    let wasmLimits: WasmSandbox.Limits
    let services: ServiceStore
    /// `HOT_PUBLIC_URL` (no trailing `/`): the base of the webhook and MCP URLs the API lists.
    let publicURL: String?
    let files: FileStore
    /// `HOT_FILE_MAX_BYTES`: a ceiling under the plan's largest file (nil: the plan's).
    let fileMaxBytesCeiling: Int64?

    public init(database: Database, buildInfo: BuildInfo, secrets: SecretBox, clock: any WallClock,
                storage: any BuildStorage, uploadPolicy: UploadPolicy, pubsub: any PubSub, liveFeed: LiveFeed.Settings,
                domainProvider: any DomainProvider, domainChecks: DomainChecker.Settings = .init(),
                credentialCache: CredentialCache? = nil, projectCache: ProjectCache? = nil, wasmLimits: WasmSandbox.Limits = .init(),
                publicURL: String? = nil, fileMaxBytes: Int64? = nil) {
        self.buildInfo = buildInfo
        self.clock = clock
        self.projects = ProjectStore(database: database, cache: projectCache)
        self.sessions = SessionStore(database: database)
        self.serviceKeys = ServiceKeyStore(database: database, box: secrets)
        self.builds = BuildStore(database: database)
        self.contexts = ContextStore(database: database, box: secrets)
        self.usage = UsageStore(database: database)
        self.storage = storage
        self.uploadPolicy = uploadPolicy
        self.events = EventStore(database: database, pubsub: pubsub)
        self.runs = RunStore(database: database)
        self.pubsub = pubsub
        self.liveFeed = liveFeed
        self.domains = DomainStore(database: database)
        self.domainChecker = DomainChecker(database: database, provider: domainProvider, settings: domainChecks, clock: clock,
                                           logger: database.logger)
        self.credentialCache = credentialCache
        self.projectCache = projectCache
        self.database = database
        self.wasmLimits = wasmLimits
        self.services = ServiceStore(database: database)
        self.publicURL = publicURL
        self.files = FileStore(database: database)
        self.fileMaxBytesCeiling = fileMaxBytes
    }

    /// The calling credential, which must be an API key (the spec admits only API keys to the
    /// operations that manage credentials and domains; this guards the handler all the same).
    func apiKey(_ context: HotRequestContext, managing what: String) throws -> Credential {
        let credential = try context.requireCredential()
        guard credential.kind == .apiKey else { throw APIError.forbidden("Only API keys can manage \(what)") }
        return credential
    }

    /// Validates a requested permission map (400) and checks it stays within the issuer's (403).
    func checkIssuable(_ permissions: [String: [String]], by issuer: Credential) throws {
        try PermissionRules.validate(permissions)
        if let (resource, action) = PermissionSet(issuer.permissions).firstGrantExceeding(PermissionSet(permissions)) {
            throw APIError(status: .forbidden, code: "permission_escalation",
                           message: "Permission escalation: '\(action)' on '\(resource)' exceeds the issuing API key's permissions")
        }
    }


    /// The 403 `plan_required` of a feature the org's plan lacks.
    func planRequired(_ feature: String) -> APIError {
        APIError(status: .forbidden, code: "plan_required", message: "\(feature) require a Pro or Scale plan. Upgrade at https://hot.dev/pricing")
    }

    /// The project a path's `project_id_or_slug` designates in the credential's env, or 404.
    func project(_ idOrSlug: String, context: HotRequestContext) async throws -> Project {
        let credential = try context.requireCredential()
        let project: Project?
        if let lookup = context[ProjectLookup.self], lookup.idOrSlug == idOrSlug {
            project = lookup.project
        } else {
            project = try await projects.find(envId: credential.envId, idOrName: idOrSlug)
        }
        guard let project else { throw APIError.notFound("Project not found") }
        return project
    }
}

/// The project a request's path names, as the authorizer found it (nil: there is none in the
/// credential's env): the handler takes it from the context instead of looking it up again.
package struct ProjectLookup: RequestContextKey, Sendable {
    package typealias Value = ProjectLookup
    package var idOrSlug: String
    package var project: Project?
}

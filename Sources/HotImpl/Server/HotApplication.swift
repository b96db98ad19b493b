import Foundation
import Generated
import HotRuntime
import HotUploads
import HotWasm
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the HTTP application: request ids, access log and error envelopes on every route, then
/// every operation of the spec through the generated routes.
public enum HotApplication {
    /// What the application runs on; tests substitute the clock and the rate-limit policy.
    public struct Environment: Sendable {
        public var database: Database
        /// Seals secrets at rest under the server's encryption key.
        public var secrets: SecretBox
        public var clock: any WallClock
        public var rateLimits: RateLimitPolicy
        /// Where build archives go.
        public var storage: any BuildStorage
        /// Where uploads spool while they arrive, and their size limit.
        public var uploads: UploadPolicy
        /// Live messages: what SSE feeds subscribe to and events publish on.
        public var pubsub: any PubSub
        public var liveFeed: LiveFeed.Settings
        /// Credentials authenticated lately (nil: none kept); the process's listener must evict from it.
        public var credentialCache: CredentialCache?
        /// Projects read lately (nil: none kept); the process's listener must evict from it.
        public var projectCache: ProjectCache?
        /// The serve processes sharing the database (nil: this one alone); org rate limits are divided among them.
        public var servingProcesses: ServingProcesses?
        /// `last_used_at`, noted per request and written by the process's `CredentialUsage.writer`.
        public var credentialUsage: CredentialUsage
        /// What provisions custom domains (DNS checks alone when self-hosted).
        public var domainProvider: any DomainProvider
        /// How verifications and registrations schedule a domain's next background check.
        public var domainChecks: DomainChecker.Settings
        /// `GET /metrics` and the request counts behind it (nil: no endpoint).
        public var metrics: MetricsEndpoint?
        /// `HOT_METRICS_TOKEN`: lets clients beyond loopback read `/metrics` on the API's port.
        public var metricsToken: String?
        /// The embedded runtime's limits: uploads check their WebAssembly modules against them.
        public var wasmLimits: WasmSandbox.Limits
        /// `HOT_PUBLIC_URL`: the base of the webhook and MCP URLs the API lists (nil: each request's host).
        public var publicURL: String?
        /// How long a webhook or MCP tool call waits for its run's outcome.
        public var callTimeout: Duration
        /// `HOT_FILE_MAX_BYTES`: the largest file, under the plan's limit (nil: the plan's).
        public var fileMaxBytes: Int64?

        public init(database: Database, secrets: SecretBox, storage: any BuildStorage, uploads: UploadPolicy,
                    pubsub: any PubSub, domainProvider: any DomainProvider, domainChecks: DomainChecker.Settings = .init(),
                    liveFeed: LiveFeed.Settings = .init(), credentialCache: CredentialCache? = nil,
                    projectCache: ProjectCache? = nil, servingProcesses: ServingProcesses? = nil,
                    credentialUsage: CredentialUsage = CredentialUsage(), metrics: MetricsEndpoint? = nil, metricsToken: String? = nil,
                    clock: any WallClock = SystemWallClock(), rateLimits: RateLimitPolicy = .standard,
                    wasmLimits: WasmSandbox.Limits = .init(), publicURL: String? = nil, callTimeout: Duration = .seconds(30),
                    fileMaxBytes: Int64? = nil) {
            self.database = database
            self.secrets = secrets
            self.storage = storage
            self.uploads = uploads
            self.pubsub = pubsub
            self.liveFeed = liveFeed
            self.domainProvider = domainProvider
            self.domainChecks = domainChecks
            self.credentialCache = credentialCache
            self.projectCache = projectCache
            self.servingProcesses = servingProcesses
            self.credentialUsage = credentialUsage
            self.metrics = metrics
            self.metricsToken = metricsToken
            self.clock = clock
            self.rateLimits = rateLimits
            self.wasmLimits = wasmLimits
            self.publicURL = publicURL
            self.callTimeout = callTimeout
            self.fileMaxBytes = fileMaxBytes
        }
    }

    public static func router(_ environment: Environment, buildInfo: HotService.BuildInfo) -> Router<HotRequestContext> {
        let router = Router(context: HotRequestContext.self)
        // Outside the API's layer, so the span holds the request's whole answer and its log lines;
        // absent (no layer, no cost) unless tracing is on.
        if HotTracing.isEnabled { router.add(middleware: RequestTracingMiddleware()) }
        router.add(middleware: APIMiddleware(operations: OperationTable.all, classify: StoreError.answer(for:), observe: environment.metrics?.observer))
        let service = HotService(
            database: environment.database, buildInfo: buildInfo, secrets: environment.secrets,
            clock: environment.clock, storage: environment.storage, uploadPolicy: environment.uploads,
            pubsub: environment.pubsub, liveFeed: environment.liveFeed,
            domainProvider: environment.domainProvider, domainChecks: environment.domainChecks,
            credentialCache: environment.credentialCache, projectCache: environment.projectCache, wasmLimits: environment.wasmLimits,
            publicURL: environment.publicURL, fileMaxBytes: environment.fileMaxBytes)
        let authorizer = Authorizer(
            database: environment.database, clock: environment.clock, limiter: RateLimiter(clock: environment.clock),
            policy: environment.rateLimits, cache: environment.credentialCache, usage: environment.credentialUsage,
            projectCache: environment.projectCache, processes: environment.servingProcesses)
        HotRoutes.register(on: router, api: service, authorizer: authorizer)
        // Webhooks and MCP tools: their paths are not the API's, and their callers not its clients.
        CallEndpoints(database: environment.database, pubsub: environment.pubsub, authorizer: authorizer,
                      metrics: environment.metrics?.metrics, timeout: environment.callTimeout).register(on: router)
        // The spec, as JSON made from spec/openapi.yaml at build time.
        let specJSON = ByteBuffer(string: GeneratedBuildInfo.openAPIJSON)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: specJSON))
        }
        // Tasks are started by Hot code in the Hot VM, which this server does not have.
        for path in ["/v1/tasks/:task_id", "/v1/tasks/:task_id/subscribe"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                throw APIError(status: .notFound, code: "not_found",
                               message: "Tasks are not supported by this server: they run in the Hot VM, which hot-server does not have")
            }
        }
        if let metrics = environment.metrics {
            let token = environment.metricsToken
            router.get("/metrics") { request, context -> Response in
                guard MetricsEndpoint.allows(remoteAddress: context.remoteAddress, authorization: request.headers[.authorization], token: token) else {
                    throw APIError(status: .forbidden, code: "forbidden",
                                   message: "Metrics are served to loopback clients, or with the token HOT_METRICS_TOKEN configures")
                }
                return await metrics.response()
            }
        }
        return router
    }

    /// A listener for `GET /metrics` alone (`--metrics-port`): no credentials, so bind it where only
    /// the scraper reaches.
    public static func metricsServer(_ endpoint: MetricsEndpoint, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in await endpoint.response() }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                           onServerRunning: { channel in
                               logger.info("metrics listening", metadata: ["address": .string("http://\(host):\(channel.localAddress?.port ?? port)/metrics")])
                           },
                           logger: logger)
    }

    /// `idleTimeout`: how long a connection may send nothing, idle between requests or in the middle
    /// of one (headers never finished, a body stalled), before it is closed.
    public static func make(
        _ environment: Environment, host: String, port: Int, idleTimeout: Duration = .seconds(60), logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some Service {
        let buildInfo = HotService.BuildInfo(version: HotVersion.current, gitSha: HotVersion.gitSHA, startTime: environment.clock.now())
        let router = router(environment, buildInfo: buildInfo)
        // Feed requests are answered by the same routes; their connections then keep no task.
        // Idle connections are closed, so slow or abandoned clients cannot hold sockets forever (a
        // response being written is not idle: a feed or download is never cut by it).
        let feeds = FeedConnections(operations: OperationTable.all, responder: router.buildResponder())
        return HTTPServer.make(
            router: router, feeds: feeds, host: host, port: port, idleTimeout: idleTimeout, logger: logger, onServerRunning: onServerRunning)
    }
}

import Foundation
import Generated
import HotRuntime
import Hummingbird
import Logging

/// Builds the HTTP application: request ids and error envelopes on every route, then every
/// operation of the spec through the generated routes.
public enum HotApplication {
    public static func router(database: Database, buildInfo: HotService.BuildInfo) -> Router<HotRequestContext> {
        let router = Router(context: HotRequestContext.self)
        router.add(middleware: RequestIdMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: ErrorEnvelopeMiddleware())
        let service = HotService(database: database, buildInfo: buildInfo)
        let authorizer = Authorizer(apiKeys: APIKeyStore(database: database), projects: ProjectStore(database: database))
        HotRoutes.register(on: router, api: service, authorizer: authorizer)
        return router
    }

    public static func make(
        database: Database, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let buildInfo = HotService.BuildInfo(version: HotVersion.current, gitSha: HotVersion.gitSHA, startTime: Date())
        return Application(
            router: router(database: database, buildInfo: buildInfo),
            configuration: .init(address: .hostname(host, port: port), serverName: "hot-server"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What every request goes through, in one layer of Hummingbird's middleware chain (each layer
/// costs every request an async frame and a copy of its context):
/// - its request id (made with the context, already in the logger's metadata) in the
///   `X-Request-Id` header, on errors too;
/// - errors as the `error` envelope: API errors as they are, Hummingbird's HTTP errors (no route,
///   body too large) by their status, errors `classify` knows (e.g. the database away: 503) as it
///   says, anything else as a logged 500;
/// - a declared path asked with a method it does not declare: 405 with `Allow` listing the
///   declared methods, rather than the router's 404;
/// - one access log line with method, path, status and duration (`AccessLine`), and the same to
///   `observe` (metrics).
public struct APIMiddleware: RouterMiddleware {
    public typealias Context = HotRequestContext
    /// Told of every answered request: its final status and how long it took.
    public typealias Observer = @Sendable (_ request: Request, _ context: HotRequestContext, _ status: HTTPResponse.Status, _ duration: Duration) -> Void

    /// Each declared path template (`/v1/projects/{project_id_or_slug}`) as segments, with its methods.
    let routes: [(segments: [Substring], restOfPath: Bool, methods: [String])]
    /// Names the API error of an error from below (a driver's, say); nil: not one it knows.
    let classify: @Sendable (any Error) -> APIError?
    let observe: Observer?

    public init(operations: [OperationDescriptor], classify: @escaping @Sendable (any Error) -> APIError? = { _ in nil },
                observe: Observer? = nil) {
        var methods: [String: [String]] = [:]
        var restOfPath: Set<String> = []
        for operation in operations {
            methods[operation.path, default: []].append(operation.method.rawValue)
            if operation.restOfPath { restOfPath.insert(operation.path) }
        }
        self.routes = methods.map { (path, methods) in (path.split(separator: "/"), restOfPath.contains(path), methods.sorted()) }
        self.classify = classify
        self.observe = observe
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var context = context
        context.authority = request.head.authority
        do {
            response = try await next(request, context)
        } catch {
            response = Envelope.error(apiError(for: error, request: request, logger: context.logger), requestId: context.requestId)
        }
        response.headers[.xRequestId] = context.requestIdText
        let elapsed = ContinuousClock.now - start
        let logger = context.logger
        if logger.logLevel <= .info {
            let access = AccessLine(method: request.method.rawValue, path: Self.loggedPath(request.uri.path), status: Int(response.status.code),
                                    duration: elapsed)
            if let handler = logger.handler as? HotLogHandler {
                handler.log(access)
            } else {
                logger.info(AccessLine.message, metadata: access.metadata, source: AccessLine.source)
            }
        }
        observe?(request, context, response.status, elapsed)
        return response
    }

    /// The path as logs show it: a webhook's token (its last segment, which lets anyone call it) is
    /// left out.
    public static func loggedPath(_ path: String) -> String {
        guard path.hasPrefix("/webhook/"), let slash = path.lastIndex(of: "/") else { return path }
        return path[...slash] + "…"
    }

    /// The API error an error from below answers with.
    func apiError(for error: any Error, request: Request, logger: Logger) -> APIError {
        if let error = error as? HTTPError, error.status == .notFound, let allowed = allowedMethods(request.uri.path) {
            return APIError(status: .methodNotAllowed, code: "bad_request",
                            message: "\(request.method.rawValue) is not allowed on this endpoint; use \(allowed.joined(separator: ", "))",
                            headers: ["Allow": allowed.joined(separator: ", ")])
        }
        if let known = classify(error) { return Self.apiError(for: known, logger: logger) }
        return Self.apiError(for: error, logger: logger)
    }

    /// The methods declared on every template the path fits (`/builds/deployed` also fits
    /// `/builds/{build_id}`); nil when it fits none.
    func allowedMethods(_ path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let allowed = Set(routes.filter {
            OperationDescriptor.matches(template: $0.segments, path: segments, restOfPath: $0.restOfPath)
        }.flatMap(\.methods)).sorted()
        return allowed.isEmpty ? nil : allowed
    }

    static func apiError(for error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            if error.status.code >= 500, error.status != .notImplemented {
                logger.error("request failed", metadata: ["code": .string(error.code), "message": .string(error.message)])
            }
            return error
        case let error as any HTTPResponseError:
            // Hummingbird's own errors (no route, a body over a limit): their status, our envelope.
            let status = error.status
            guard status.code < 500 else {
                logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
                return .internalError()
            }
            let message: String
            switch status {
            case .notFound: message = "No such endpoint"
            case .methodNotAllowed: message = "Method not allowed on this endpoint"
            case .contentTooLarge: message = "Request body is too large"
            default: message = (error as? HTTPError)?.body ?? status.reasonPhrase
            }
            return APIError(status: status, code: status == .notFound ? "not_found" : "bad_request", message: message)
        default:
            logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
            return .internalError()
        }
    }
}

extension HTTPField.Name {
    public static let xRequestId = HTTPField.Name("X-Request-Id")!
}

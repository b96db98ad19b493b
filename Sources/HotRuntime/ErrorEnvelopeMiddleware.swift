import Foundation
import Hummingbird
import Logging

/// Turns every error into the `error` envelope: API errors as they are, Hummingbird's HTTP errors
/// (no route, body too large) by their status, errors `classify` knows (e.g. the database away: 503)
/// as it says, and anything else as a logged 500.
public struct ErrorEnvelopeMiddleware: RouterMiddleware {
    public typealias Context = HotRequestContext

    /// Names the API error of an error from below (a driver's, say); nil: not one it knows.
    let classify: @Sendable (any Error) -> APIError?

    public init(classify: @escaping @Sendable (any Error) -> APIError? = { _ in nil }) {
        self.classify = classify
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let known = classify(error) { return Self.response(for: known, context: context) }
            return Self.response(for: error, context: context)
        }
    }

    static func response(for error: any Error, context: Context) -> Response {
        Envelope.error(apiError(for: error, logger: context.logger), requestId: context.requestId)
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

import Foundation
import Hummingbird
import Logging

/// Turns every error into the `error` envelope: API errors as they are, Hummingbird's HTTP errors
/// (no route, body too large) by their status, and anything else as a logged 500.
public struct ErrorEnvelopeMiddleware: RouterMiddleware {
    public typealias Context = HotRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
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
        case let error as any HTTPResponseError where !(error is HTTPError):
            // Hummingbird's own errors with a status (e.g. a body over the server's limit).
            let status = error.status
            if status.code < 500 {
                return APIError(status: status, code: status == .notFound ? "not_found" : "bad_request", message: status.reasonPhrase)
            }
            logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
            return .internalError()
        case let error as HTTPError:
            let status = error.status
            switch status {
            case .notFound:
                return APIError(status: .notFound, code: "not_found", message: "No such endpoint")
            case .methodNotAllowed:
                return APIError(status: .methodNotAllowed, code: "bad_request", message: "Method not allowed on this endpoint")
            case .contentTooLarge:
                return APIError(status: .contentTooLarge, code: "bad_request", message: "Request body is too large")
            default:
                if status.code < 500 {
                    return APIError(status: status, code: "bad_request", message: error.body ?? status.reasonPhrase)
                }
                logger.error("request failed", metadata: ["error": .string("\(error)")])
                return .internalError()
            }
        default:
            logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
            return .internalError()
        }
    }
}

import Foundation
import Hummingbird

/// Every request's id (a UUIDv7, made with its context): puts it in the logger's metadata and the
/// `X-Request-Id` response header — on errors too.
public struct RequestIdMiddleware: RouterMiddleware {
    public typealias Context = HotRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = context.requestId.lowercased
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[.xRequestId] = id
            return response
        } catch {
            var response = ErrorEnvelopeMiddleware.response(for: error, context: context)
            response.headers[.xRequestId] = id
            return response
        }
    }
}

extension HTTPField.Name {
    public static let xRequestId = HTTPField.Name("X-Request-Id")!
}

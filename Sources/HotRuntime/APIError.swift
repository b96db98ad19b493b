import HTTPTypes

/// An error the API answers with, rendered as the `error` envelope by `APIMiddleware`.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// One of the spec's `ErrorBody.code` values.
    public var code: String
    public var message: String
    /// Extra response headers (e.g. `Retry-After`).
    public var headers: [String: String]

    public init(status: HTTPResponse.Status, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "bad_request", message: message)
    }
    public static func unauthorized(_ message: String = "Invalid, missing, expired, or revoked credential") -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message)
    }
    public static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden", message: message)
    }
    public static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }
    public static func conflict(_ message: String) -> APIError {
        APIError(status: .conflict, code: "conflict", message: message)
    }
    public static func notImplemented(_ operationId: String) -> APIError {
        APIError(status: .notImplemented, code: "not_implemented", message: "\(operationId) is not implemented yet")
    }
    public static func internalError() -> APIError {
        APIError(status: .internalServerError, code: "internal_server_error", message: "Internal server error")
    }
}

import HotRuntime
import HTTPTypes
import Hummingbird
import Instrumentation
import Tracing

/// Every request's server span, when tracing is on (`HotApplication` adds it only then): named by
/// its method and route template (`POST /webhook/**`), with the status and the request id; a child of
/// the client's span when the request carries W3C `traceparent` (and `tracestate`). The request is
/// answered inside it, so its log lines carry its `trace_id` and `span_id`.
struct RequestTracingMiddleware: RouterMiddleware {
    typealias Context = HotRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var parent = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsCarrier())
        let method = request.method.rawValue
        guard let span = HotTracing.start(method, ofKind: .server, context: parent) else { return try await next(request, context) }
        defer { span.end() }
        do {
            let response = try await InstrumentationContext.$current.withValue(span.context) {
                try await next(request, context)
            }
            // An unsampled span records nothing: no attributes to make.
            guard span.isRecording else { return response }
            let route = context.endpointPath
            if let route { span.operationName = "\(method) \(route)" }
            span.updateAttributes { attributes in
                attributes["http.request.method"] = method
                // A webhook's token (its last segment) stays out, as it does of the access log.
                attributes["url.path"] = APIMiddleware.loggedPath(request.uri.path)
                attributes["hot.request_id"] = context.requestIdText
                attributes["http.route"] = route
                attributes["http.response.status_code"] = Int(response.status.code)
            }
            if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
            return response
        } catch {
            span.recordError(error)
            span.setStatus(.init(code: .error))
            throw error
        }
    }
}

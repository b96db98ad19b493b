import Hummingbird

/// A path the API declares, asked with a method it does not declare: 405 with `Allow` listing the
/// declared methods, rather than the router's 404.
public struct MethodNotAllowedMiddleware: RouterMiddleware {
    public typealias Context = HotRequestContext

    /// Each declared path template (`/v1/projects/{project_id_or_slug}`) as segments, with its methods.
    let routes: [(segments: [Substring], methods: [String])]

    public init(operations: [OperationDescriptor]) {
        var methods: [String: [String]] = [:]
        for operation in operations { methods[operation.path, default: []].append(operation.method.rawValue) }
        routes = methods.map { (path, methods) in (path.split(separator: "/"), methods.sorted()) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            // Every template the path fits (`/builds/deployed` also fits `/builds/{build_id}`).
            let allowed = Set(routes.filter { Self.matches($0.segments, segments) }.flatMap(\.methods)).sorted()
            guard !allowed.isEmpty else { throw error }
            throw APIError(status: .methodNotAllowed, code: "bad_request",
                           message: "\(request.method.rawValue) is not allowed on this endpoint; use \(allowed.joined(separator: ", "))",
                           headers: ["Allow": allowed.joined(separator: ", ")])
        }
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        template.count == path.count && zip(template, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}

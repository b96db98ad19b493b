import Foundation
import HotRuntime
import Hummingbird
import Logging
import NIOCore

/// What webhooks and MCP tools share (docs/calls.md): the env a URL names (by org slug and env
/// name, or by the active custom domain the request came to), the caller's credential, the org's
/// rate limit, bodies read within a limit, and the call itself.
public struct CallEndpoints: Sendable {
    let services: ServiceStore
    let calls: CallQueue
    let authorizer: Authorizer
    let metrics: HotMetrics?
    /// How long a call waits for its run's outcome before answering that it has none yet.
    let timeout: Duration
    /// The largest webhook or MCP request body (413 above it).
    static let maxBodyBytes = 10 << 20

    public init(database: Database, pubsub: any PubSub, authorizer: Authorizer, metrics: HotMetrics?, timeout: Duration = .seconds(30)) {
        self.services = ServiceStore(database: database)
        self.calls = CallQueue(database: database, pubsub: pubsub)
        self.authorizer = authorizer
        self.metrics = metrics
        self.timeout = timeout
    }

    /// Routes both on `router`.
    public func register(on router: Router<HotRequestContext>) {
        let webhook = { @Sendable (request: Request, context: HotRequestContext) async throws -> Response in
            try await self.webhook(request, context: context)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/webhook/**", method: method, use: webhook)
        }
        let mcp = { @Sendable (request: Request, context: HotRequestContext) async throws -> Response in
            try await self.mcp(request, context: context)
        }
        // `/mcp/<org>/<env>/<service>`, and `/mcp/<service>` on a custom domain: the router wants one
        // name for a position's parameter, so the first is `first` in both.
        for path in ["/mcp/:first/:env/:service", "/mcp/:first"] {
            router.post(RouterPath(path), use: mcp)
            for method in [HTTPRequest.Method.get, .delete] {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    // No server-initiated stream and no sessions to end (docs/calls.md).
                    throw APIError(status: .methodNotAllowed, code: "bad_request", message: "MCP requests are POSTed to this endpoint",
                                   headers: ["Allow": "POST"])
                }
            }
        }
    }

    /// The one answer to anything unknown: it says nothing about which part was.
    static let notFound = APIError.notFound("Not found")

    /// The host a request came to, without its port, lower case; nil when it sent none.
    static func host(_ request: Request) -> String? {
        guard var authority = request.head.authority?.lowercased(), !authority.isEmpty else { return nil }
        if authority.hasPrefix("[") { return nil }  // an IPv6 literal: never a custom domain
        if let colon = authority.lastIndex(of: ":") { authority = String(authority[..<colon]) }
        return authority.hasSuffix(".") ? String(authority.dropLast()) : authority
    }

    /// The env of an active custom domain the request came to, if it came to one.
    func domainEnv(_ request: Request) async throws -> ServiceStore.ServiceEnv? {
        guard let host = Self.host(request), host.contains("."), host.unicodeScalars.contains(where: { CharacterSet.letters.contains($0) }) else {
            return nil
        }
        return try await services.env(domain: host)
    }

    /// The caller's credential when it sent one (401 when it is not live); 404 when it belongs to
    /// another env, which learns nothing of this one.
    func credential(_ request: Request, context: HotRequestContext, env: ServiceStore.ServiceEnv) async throws -> Credential? {
        guard let header = request.headers[.authorization] else { return nil }
        let credential = try await authorizer.bearer(header, context: context)
        guard credential.envId == env.envId else { throw Self.notFound }
        authorizer.noteUse(credential)
        return credential
    }

    /// The request's body, at most `maxBodyBytes` (413 above).
    static func body(_ request: Request) async throws -> ByteBuffer {
        try await request.body.collect(upTo: maxBodyBytes)
    }

    func count(_ via: String, _ outcome: String) {
        metrics?.callEnded(via: via, outcome: outcome)
    }
}

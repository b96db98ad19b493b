import Foundation
import HotRuntime
import Hummingbird
import NIOCore

/// `ANY /webhook/<org>/<env>/<service><path>/<token>`, and `/webhook/<service><path>/<token>` on an
/// active custom domain (docs/calls.md): the request becomes the one argument of a call of the
/// webhook's function, and the run's result the response.
extension CallEndpoints {
    /// A webhook URL's parts after `/webhook/`.
    struct WebhookPath: Equatable {
        var org: String?
        var env: String?
        var service: String
        var path: String
        var token: String

        /// `<service><path>/<token>` after `prefix` segments (`<org>/<env>/`, or none on a custom
        /// domain); nil when the URL cannot be one (no token of 12 hex digits, say).
        init?(_ rest: Substring, prefixSegments: Int) {
            var rest = rest
            var prefix: [String] = []
            for _ in 0..<prefixSegments {
                guard let slash = rest.firstIndex(of: "/") else { return nil }
                prefix.append(String(rest[..<slash]))
                rest = rest[rest.index(after: slash)...]
            }
            guard let slash = rest.firstIndex(of: "/"), let last = rest.lastIndex(of: "/") else { return nil }
            let token = rest[rest.index(after: last)...]
            guard token.utf8.count == 12, token.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
            self.org = prefixSegments == 2 ? prefix[0] : nil
            self.env = prefixSegments == 2 ? prefix[1] : nil
            self.service = String(rest[..<slash])
            let path = rest[slash..<last]
            self.path = path.isEmpty ? "/" : String(path)
            self.token = String(token)
            guard !service.isEmpty, prefix.allSatisfy({ !$0.isEmpty }) else { return nil }
        }
    }

    func webhook(_ request: Request, context: HotRequestContext) async throws -> Response {
        // A webhook's URL is its capability: a client that keeps naming webhooks that do not exist
        // is slowed down as one guessing API keys is.
        try authorizer.checkGuesses(context)
        do {
            return try await answerWebhook(request, context: context)
        } catch let error as APIError where error == Self.notFound {
            authorizer.noteFailedGuess(context)
            throw error
        }
    }

    private func answerWebhook(_ request: Request, context: HotRequestContext) async throws -> Response {
        let rest = request.uri.path.dropFirst("/webhook/".count)
        // The env: of the custom domain the request came to, else the org and env the URL names.
        let env: ServiceStore.ServiceEnv
        let url: WebhookPath
        if let domainEnv = try await domainEnv(request), let parsed = WebhookPath(rest, prefixSegments: 0) {
            (env, url) = (domainEnv, parsed)
        } else if let parsed = WebhookPath(rest, prefixSegments: 2), let org = parsed.org, let envName = parsed.env,
                  let named = try await services.env(orgSlug: org, envName: envName) {
            (env, url) = (named, parsed)
        } else {
            throw Self.notFound
        }
        try authorizer.admit(orgId: env.orgId, plan: env.plan)
        guard let target = try await services.webhook(
            envId: env.envId, service: url.service, path: url.path, method: request.method.rawValue, token: url.token)
        else { throw Self.notFound }
        var credential: Credential?
        if target.authMode == "required" {
            guard request.headers[.authorization] != nil else {
                count("webhook", "refused")
                throw APIError(status: .unauthorized, code: "unauthorized", message: "This webhook needs 'Authorization: Bearer <token>'",
                               headers: ["WWW-Authenticate": "Bearer"])
            }
            credential = try await self.credential(request, context: context, env: env)
            let resource = "webhook:\(url.service)\(url.path)"
            guard let credential, PermissionSet(credential.permissions).allows("execute", on: resource) else {
                count("webhook", "refused")
                throw APIError.forbidden("Credential lacks 'execute' on \(resource)")
            }
        }
        let body = try await Self.body(request)
        let argument = Self.argument(request, path: url.path, body: body, dropAuthorization: target.authMode == "required")
        let caller = CallQueue.Caller(via: "webhook", service: url.service, name: url.path, requestId: context.requestIdText, credential: credential)
        let (runId, outcome) = try await calls.call(envId: env.envId, target: target, args: [argument], caller: caller, timeout: timeout,
                                                    logger: context.logger)
        switch outcome {
        case .succeeded(let result):
            count("webhook", "succeeded")
            return Self.response(for: result)
        case .failed:
            count("webhook", "failed")
            throw APIError(status: .internalServerError, code: "call_failed",
                           message: "The webhook's function failed: see run \(runId.lowercased)")
        case .cancelled:
            count("webhook", "cancelled")
            throw APIError(status: .internalServerError, code: "call_failed", message: "The webhook's run \(runId.lowercased) was cancelled")
        case .pending:
            count("webhook", "timeout")
            throw APIError(status: .gatewayTimeout, code: "timeout",
                           message: "No result within \(timeout.components.seconds) s: run \(runId.lowercased) goes on and keeps its result")
        }
    }

    /// The call's one argument: `{"method", "path", "query", "headers", "body", "body_base64"}`
    /// (the body as text when it is UTF-8, else as base64). Header names are lower case, repeated
    /// ones joined by ", "; a repeated query parameter keeps its last value. The credential a
    /// webhook with `auth_mode: required` was called with is not passed on.
    static func argument(_ request: Request, path: String, body: ByteBuffer, dropAuthorization: Bool) -> JSONValue {
        var headers: [String: JSONValue] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if dropAuthorization, name == "authorization" { continue }
            if case .string(let earlier)? = headers[name] {
                headers[name] = .string(earlier + ", " + field.value)
            } else {
                headers[name] = .string(field.value)
            }
        }
        var query: [String: JSONValue] = [:]
        for (name, value) in request.uri.queryParameters {
            query[String(name)] = .string(String(value))
        }
        let bytes = body.readableBytesView
        var text: JSONValue = .null
        var base64: JSONValue = .null
        if !bytes.isEmpty {
            if let decoded = String(validating: bytes, as: UTF8.self) {
                text = .string(decoded)
            } else {
                base64 = .string(Data(bytes).base64EncodedString())
            }
        }
        return .object([
            "method": .string(request.method.rawValue), "path": .string(path), "query": .object(query), "headers": .object(headers),
            "body": text, "body_base64": base64,
        ])
    }

    /// Headers a result may not set: the server frames the response and names the request.
    static let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "x-request-id"]

    /// A result `{"status", "headers", "body"}` as that response (a string body as it is, else as
    /// JSON); any other result as 200 JSON.
    static func response(for result: JSONValue) -> Response {
        if case .object(let fields) = result, case .int(let code)? = fields["status"], (200...599).contains(code),
           Set(fields.keys).isSubset(of: ["status", "headers", "body"]) {
            var headers = HTTPFields()
            if case .object(let given)? = fields["headers"] {
                for (name, value) in given.sorted(by: { $0.key < $1.key }) {
                    guard let text = value.stringValue, !framingHeaders.contains(name.lowercased()), let field = HTTPField.Name(name),
                          !text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
                    else { continue }
                    headers[field] = text
                }
            }
            let body: ByteBuffer
            switch fields["body"] {
            case nil, .null?:
                body = ByteBuffer()
            case .string(let text)?:
                body = ByteBuffer(string: text)
                if headers[.contentType] == nil { headers[.contentType] = "text/plain; charset=utf-8" }
            case let value?:
                body = ByteBuffer(bytes: (try? value.serialized()) ?? Data("null".utf8))
                if headers[.contentType] == nil { headers[.contentType] = "application/json" }
            }
            return Response(status: HTTPResponse.Status(code: Int(code)), headers: headers, body: ResponseBody(byteBuffer: body))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? result.serialized()) ?? Data("null".utf8))))
    }
}

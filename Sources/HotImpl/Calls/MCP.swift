import Foundation
import HotRuntime
import Hummingbird
import NIOCore

/// `POST /mcp/<org>/<env>/<service>`, and `/mcp/<service>` on an active custom domain: the Model
/// Context Protocol's Streamable HTTP transport for the service's tools (docs/calls.md).
///
/// Stateless: no `Mcp-Session-Id` is issued (the protocol lets a server go without), so any
/// process serves any request; every answer is one JSON document, never an SSE stream, and GET
/// and DELETE are 405. The protocol version is what `initialize` negotiated, sent back by the
/// client in `MCP-Protocol-Version` (2025-03-26 when absent, as the protocol says); batches are
/// taken in 2025-03-26 only, as that version alone has them.
extension CallEndpoints {
    static let protocolVersions = ["2025-06-18", "2025-03-26"]

    /// JSON-RPC 2.0 error codes.
    enum RPCError {
        static let parse = -32700
        static let invalidRequest = -32600
        static let methodNotFound = -32601
        static let invalidParams = -32602
    }

    func mcp(_ request: Request, context: HotRequestContext) async throws -> Response {
        let env: ServiceStore.ServiceEnv
        let service: String
        if let org = context.parameters.get("first"), let envName = context.parameters.get("env"), let named = context.parameters.get("service") {
            guard let found = try await services.env(orgSlug: org, envName: envName) else { throw Self.notFound }
            (env, service) = (found, named)
        } else if let named = context.parameters.get("first"), let found = try await domainEnv(request) {
            (env, service) = (found, named)
        } else {
            throw Self.notFound
        }
        try authorizer.admit(orgId: env.orgId, plan: env.plan)
        // A browser page must not reach a local server through DNS rebinding: an Origin, when
        // sent, must be the host the request came to.
        if let origin = request.headers[.origin], origin != "null",
           !Self.sameHost(origin: URL(string: origin)?.host, authority: request.head.authority) {
            throw APIError.forbidden("Origin \(origin) may not call this MCP endpoint")
        }
        let version = request.headers[HTTPField.Name("MCP-Protocol-Version")!]
        if let version, !Self.protocolVersions.contains(version) {
            return Self.rpcResponse(status: .badRequest, Self.error(id: .null, RPCError.invalidRequest,
                "Unsupported MCP-Protocol-Version \(version); this server speaks \(Self.protocolVersions.joined(separator: ", "))"))
        }
        let credential = try await self.credential(request, context: context, env: env)
        let body = try await Self.body(request)
        guard let message = try? JSONValue.parse(Data(body.readableBytesView)) else {
            return Self.rpcResponse(status: .badRequest, Self.error(id: .null, RPCError.parse, "Parse error: the body is not JSON"))
        }
        let isBatch: Bool
        let messages: [JSONValue]
        switch message {
        case .array(let items):
            guard (version ?? "2025-03-26") == "2025-03-26" else {
                return Self.rpcResponse(status: .badRequest, Self.error(id: .null, RPCError.invalidRequest,
                    "Batches are not part of MCP \(version ?? ""): send one message a request"))
            }
            guard !items.isEmpty else {
                return Self.rpcResponse(status: .badRequest, Self.error(id: .null, RPCError.invalidRequest, "Invalid Request: an empty batch"))
            }
            (isBatch, messages) = (true, items)
        default:
            (isBatch, messages) = (false, [message])
        }
        let tools = try await services.tools(envId: env.envId, service: service)
        let session = MCPSession(endpoints: self, service: service, tools: tools, credential: credential, envId: env.envId,
                                 isBatch: isBatch, context: context)
        // Authorization is the transport's: a tool call that needs a credential it lacks refuses
        // the whole request, before anything runs.
        for message in messages where message["method"]?.stringValue == "tools/call" {
            if let name = message["params"]?["name"]?.stringValue, let tool = tools.first(where: { $0.name == name }) {
                try session.authorize(tool)
            }
        }
        let answers = await withTaskGroup(of: (Int, JSONValue?).self) { group in
            for (index, message) in messages.enumerated() {
                group.addTask { (index, await session.answer(message)) }
            }
            var answers = [JSONValue?](repeating: nil, count: messages.count)
            for await (index, answer) in group { answers[index] = answer }
            return answers.compactMap { $0 }
        }
        guard !answers.isEmpty else { return Response(status: .accepted) }
        return Self.rpcResponse(status: .ok, isBatch ? .array(answers) : answers[0])
    }

    /// Whether an Origin's host is the host the request came to (IPv6 brackets and the port
    /// aside); the loopback names count as one host, so a page on `localhost` may call `127.0.0.1`.
    static func sameHost(origin: String?, authority: String?) -> Bool {
        func bare(_ host: Substring) -> String { host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased() }
        guard let origin, let authorityText = authority else { return false }
        var authority = Substring(authorityText)
        if let close = authority.lastIndex(of: "]") {
            authority = authority[...close]
        } else if let colon = authority.lastIndex(of: ":") {
            authority = authority[..<colon]
        }
        let (left, right) = (bare(Substring(origin)), bare(authority))
        let loopback: Set<String> = ["localhost", "127.0.0.1", "::1"]
        return left == right || (loopback.contains(left) && loopback.contains(right))
    }

    static func error(id: JSONValue, _ code: Int, _ message: String) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .int(Int64(code)), "message": .string(message)])])
    }

    static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    static func rpcResponse(status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? body.serialized()) ?? Data())))
    }
}

/// One MCP request's messages, answered against the service's tools as the caller may see them.
struct MCPSession: Sendable {
    let endpoints: CallEndpoints
    let service: String
    let tools: [ServiceStore.Tool]
    let credential: Credential?
    let envId: UUID
    let isBatch: Bool
    let context: HotRequestContext

    /// Whether the caller may call `tool`: anyone for `auth_mode: none`, else a credential with
    /// `execute` on `mcp:<service>/<tool>`.
    func mayCall(_ tool: ServiceStore.Tool) -> Bool {
        guard tool.target.authMode == "required" else { return true }
        guard let credential else { return false }
        return PermissionSet(credential.permissions).allows("execute", on: "mcp:\(service)/\(tool.name)")
    }

    func authorize(_ tool: ServiceStore.Tool) throws {
        guard !mayCall(tool) else { return }
        endpoints.count("mcp", "refused")
        guard credential != nil else {
            throw APIError(status: .unauthorized, code: "unauthorized", message: "The tool \(tool.name) needs 'Authorization: Bearer <token>'",
                           headers: ["WWW-Authenticate": "Bearer"])
        }
        throw APIError.forbidden("Credential lacks 'execute' on mcp:\(service)/\(tool.name)")
    }

    /// The response to one message; nil for a notification or a response (they are taken, not answered).
    func answer(_ message: JSONValue) async -> JSONValue? {
        guard case .object(let fields) = message, fields["jsonrpc"] == .string("2.0") else {
            return CallEndpoints.error(id: message["id"] ?? .null, CallEndpoints.RPCError.invalidRequest,
                                       "Invalid Request: a JSON-RPC 2.0 object is expected")
        }
        let id = fields["id"]
        switch id {
        case nil, .string?, .int?: break
        default:
            return CallEndpoints.error(id: .null, CallEndpoints.RPCError.invalidRequest, "Invalid Request: id must be a string or an integer")
        }
        guard case .string(let method)? = fields["method"] else {
            // A response to a request of ours (there are none), or nothing valid.
            if let id, fields["result"] != nil || fields["error"] != nil { _ = id; return nil }
            return CallEndpoints.error(id: id ?? .null, CallEndpoints.RPCError.invalidRequest, "Invalid Request: no method")
        }
        guard let id else { return nil }  // a notification
        let params = fields["params"] ?? .object([:])
        switch method {
        case "initialize":
            guard !isBatch else {
                return CallEndpoints.error(id: id, CallEndpoints.RPCError.invalidRequest, "initialize must not be part of a batch")
            }
            let asked = params["protocolVersion"]?.stringValue
            let version = asked.flatMap { CallEndpoints.protocolVersions.contains($0) ? $0 : nil } ?? CallEndpoints.protocolVersions[0]
            return CallEndpoints.result(id: id, .object([
                "protocolVersion": .string(version),
                "capabilities": .object(["tools": .object(["listChanged": .bool(false)])]),
                "serverInfo": .object(["name": .string("hot-server"), "version": .string(HotVersion.current)]),
                "instructions": .string("Tools of the Hot service '\(service)'."),
            ]))
        case "ping":
            return CallEndpoints.result(id: id, .object([:]))
        case "tools/list":
            return CallEndpoints.result(id: id, .object(["tools": .array(tools.filter(mayCall).map(describe))]))
        case "tools/call":
            return await call(id: id, params: params)
        default:
            return CallEndpoints.error(id: id, CallEndpoints.RPCError.methodNotFound, "Method not found: \(method)")
        }
    }

    /// A tool as `tools/list` shows it.
    func describe(_ tool: ServiceStore.Tool) -> JSONValue {
        var fields: [String: JSONValue] = ["name": .string(tool.name), "inputSchema": tool.inputSchema]
        if let title = tool.title { fields["title"] = .string(title) }
        if let description = tool.description { fields["description"] = .string(description) }
        if let outputSchema = tool.outputSchema { fields["outputSchema"] = outputSchema }
        if let annotations = tool.annotations { fields["annotations"] = annotations }
        return .object(fields)
    }

    func call(id: JSONValue, params: JSONValue) async -> JSONValue {
        guard case .string(let name)? = params["name"] else {
            return CallEndpoints.error(id: id, CallEndpoints.RPCError.invalidParams, "Invalid params: name must be the tool's name")
        }
        // A tool the caller may not call was refused before (authorize); one it may not see is unknown.
        guard let tool = tools.first(where: { $0.name == name }), mayCall(tool) else {
            return CallEndpoints.error(id: id, CallEndpoints.RPCError.invalidParams, "Unknown tool: \(name)")
        }
        // Absent or null: no arguments (some clients send null).
        var arguments: JSONValue = .object([:])
        if let given = params["arguments"], given != JSONValue.null { arguments = given }
        do {
            let rule = try ToolSchema.rule(tool.inputSchema)
            try SchemaValidator(registry: [:]).validate(arguments, against: rule, at: "arguments")
        } catch let error as APIError {
            endpoints.count("mcp", "invalid")
            return CallEndpoints.error(id: id, CallEndpoints.RPCError.invalidParams, error.message)
        } catch {
            // Schemas were checked at upload: one that no longer compiles refuses every call.
            endpoints.count("mcp", "invalid")
            return CallEndpoints.error(id: id, CallEndpoints.RPCError.invalidParams, "The tool's input schema cannot be checked: \(error)")
        }
        let caller = CallQueue.Caller(via: "mcp", service: service, name: name, requestId: context.requestIdText, credential: credential)
        let runId: UUID
        let outcome: CallQueue.Outcome
        do {
            (runId, outcome) = try await endpoints.calls.call(envId: envId, target: tool.target, args: [arguments], caller: caller,
                                                              timeout: endpoints.timeout, logger: context.logger)
        } catch {
            context.logger.error("a tool call could not be queued", metadata: ["tool": .string(name), "error": "\(error)"])
            endpoints.count("mcp", "error")
            return CallEndpoints.error(id: id, -32603, "Internal error: the call could not be queued")
        }
        switch outcome {
        case .succeeded(let result):
            endpoints.count("mcp", "succeeded")
            var content: [String: JSONValue] = [
                "content": .array([.object(["type": .string("text"), "text": .string(Self.text(result))])]), "isError": .bool(false),
            ]
            if case .object = result { content["structuredContent"] = result }
            return CallEndpoints.result(id: id, .object(content))
        case .failed(let error):
            endpoints.count("mcp", "failed")
            return CallEndpoints.result(id: id, Self.toolError(Self.text(error)))
        case .cancelled:
            endpoints.count("mcp", "cancelled")
            return CallEndpoints.result(id: id, Self.toolError("The run \(runId.lowercased) was cancelled"))
        case .pending:
            endpoints.count("mcp", "timeout")
            return CallEndpoints.result(id: id, Self.toolError(
                "No result within \(endpoints.timeout.components.seconds) s: run \(runId.lowercased) goes on and keeps its result"))
        }
    }

    static func toolError(_ text: String) -> JSONValue {
        .object(["content": .array([.object(["type": .string("text"), "text": .string(text)])]), "isError": .bool(true)])
    }

    /// A result as the text of a tool's content: its JSON.
    static func text(_ value: JSONValue) -> String {
        (try? value.serialized()).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

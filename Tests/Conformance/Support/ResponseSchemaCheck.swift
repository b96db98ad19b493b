import Foundation
import Generated
import HotRuntime

/// Checks an answer of the server against the spec: the operation its method and path name, a
/// status that operation's responses list by number, and a JSON body that satisfies that
/// response's schema. `Tenant.send` runs it on every answer a suite receives.
enum ResponseSchemaCheck {
    /// The operation a request names: the one whose method matches and whose path template matches
    /// (`OperationDescriptor.matches`); the most literal one when several do.
    static func operation(method: String, path: String) -> OperationDescriptor? {
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        let segments = pathOnly.split(separator: "/", omittingEmptySubsequences: false)
        var best: (operation: OperationDescriptor, literals: Int)?
        for operation in OperationTable.all where operation.method.rawValue == method {
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: false)
            guard OperationDescriptor.matches(template: template, path: segments, restOfPath: operation.restOfPath),
                  zip(template, segments).allSatisfy({ !$0.0.hasPrefix("{") || !$0.1.isEmpty })
            else { continue }
            let literals = template.filter { !$0.hasPrefix("{") }.count
            if literals > (best?.literals ?? -1) { best = (operation, literals) }
        }
        return best?.operation
    }

    /// What is wrong with an answer, empty when nothing is.
    static func problems(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        let label = "\(method) \(path) → \(status)"
        guard let operation = operation(method: method, path: path) else {
            return ["\(label): no operation of the spec has this method and path"]
        }
        guard OperationSchemas.documentedStatuses(operationId: operation.operationId).contains(status) else {
            return ["\(label): \(operation.operationId) documents no \(status) response: \(String(decoding: body.prefix(500), as: UTF8.self))"]
        }
        if status == 204 {
            return body.isEmpty ? [] : ["\(label): a 204 with a body"]
        }
        // No JSON body documented for this status (a download, an event stream): nothing to validate.
        // A documented status without one has no rule; only undocumented ones get `default`'s.
        guard let rule = OperationSchemas.response(operationId: operation.operationId, status: status) else { return [] }
        guard contentType?.hasPrefix("application/json") == true else {
            return ["\(label): \(operation.operationId) documents a JSON body, got Content-Type \(contentType ?? "none")"]
        }
        guard let json = try? JSONValue.parse(body) else {
            return ["\(label): the body is not JSON: \(String(decoding: body.prefix(500), as: UTF8.self))"]
        }
        return Schemas.validator.issues(json, against: rule).map { "\(label): \(operation.operationId) response breaks its schema: \($0)" }
    }
}

/// The check every SSE frame the suites read goes through (`Tenant.sse`): the operation declares the
/// event (`x-hot-sse-events`), its `data` is JSON of that event's schema, and an `id:` is a sequence
/// number.
enum SSEFrameCheck {
    /// What is wrong with a frame of `operationId`'s feed, empty when nothing is. Comments pass.
    static func problems(_ frame: SSEFrame, operationId: String) -> [String] {
        if frame.event == ":" { return [] }
        let label = "\(operationId) \(frame.event) frame"
        guard let rule = OperationSchemas.eventData(operationId: operationId, event: frame.event) else {
            return ["\(label): \(operationId) declares no event \(frame.event)"]
        }
        var problems: [String] = []
        if let id = frame.id, id.isEmpty || id.count > 18 || !id.allSatisfy(\.isASCII) || !id.allSatisfy(\.isNumber) {
            problems.append("\(label): id \(id) is not a sequence number")
        }
        guard let json = frame.json else { return problems + ["\(label): data is not JSON: \(frame.data.prefix(300))"] }
        problems += Schemas.validator.issues(json, against: rule).map { "\(label): \($0)" }
        if json["type"]?.stringValue != frame.event { problems.append("\(label): data.type is not \(frame.event)") }
        return problems
    }
}


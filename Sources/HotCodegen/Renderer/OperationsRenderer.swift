/// Operations.swift: the operation table — method, path, credential types and permission of every
/// operation, as the spec's vendor extensions declare them.
enum OperationsRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import HotRuntime")
        for operation in api.operations {
            w.line()
            w.block("extension \(operation.typeName)") { w in
                let credentials = operation.credentials.map { ".\(Naming.lowerCamel($0))" }.joined(separator: ", ")
                let permissions = operation.permissions.map { permission in
                    let absent = permission.mayBeAbsent.isEmpty
                        ? "" : ", mayBeAbsent: [\(permission.mayBeAbsent.map(Literal.string).joined(separator: ", "))]"
                    return "PermissionRequirement(resource: \(Literal.string(permission.resource)), action: \(Literal.string(permission.action)), mode: .\(permission.mode)\(absent))"
                }
                w.line("public static let descriptor = OperationDescriptor(")
                w.line("    operationId: \(Literal.string(operation.operationId)),")
                w.line("    method: .\(operation.method.lowercased()),")
                w.line("    path: \(Literal.string(operation.path)),")
                w.line("    credentials: [\(credentials)],")
                let restOfPath = operation.parameters.contains(where: \.restOfPath)
                let events = operation.sseEvents.isEmpty && !restOfPath ? "" : ","
                if permissions.count <= 1 {
                    w.line("    permissions: [\(permissions.joined())]\(events)")
                } else {
                    w.line("    permissions: [")
                    for permission in permissions { w.line("        \(permission),") }
                    w.line("    ]\(events)")
                }
                if !operation.sseEvents.isEmpty {
                    w.line("    eventTypes: [\(operation.sseEvents.map { Literal.string($0.event) }.joined(separator: ", "))]\(restOfPath ? "," : "")")
                }
                if restOfPath { w.line("    restOfPath: true") }
                w.line(")")
            }
        }
        // The types of the feeds' events, each naming its event: what the server builds frames through.
        var events: [(schema: String, event: String)] = []
        for event in api.operations.flatMap(\.sseEvents) where !events.contains(where: { $0.schema == event.schema }) {
            events.append((event.schema, event.event))
        }
        for (schema, event) in events {
            w.line()
            w.line("extension \(schema): LiveEvent { public static let event = \(Literal.string(event)) }")
        }
        w.line()
        w.block("public enum OperationTable") { w in
            w.doc("Every operation of the spec, in spec order.")
            w.line("public static let all: [OperationDescriptor] = [")
            for operation in api.operations {
                w.line("    \(operation.typeName).descriptor,")
            }
            w.line("]")
        }
        return w.text
    }
}

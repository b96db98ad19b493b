/// Validators.swift: a `SchemaRule` per component schema, request body and response, built from
/// the schema keywords; `Schemas.validator` checks values against them.
enum ValidatorsRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import HotRuntime")
        w.line()
        w.block("public enum Schemas") { w in
            for (name, rule) in api.schemaRules {
                w.doc("`#/components/schemas/\(name)`")
                w.line("public static let \(Naming.escaped(Naming.lowerCamel(name))): SchemaRule = \(expression(rule))")
            }
            w.line()
            w.doc("Component name → rule: what `$ref` rules resolve through.")
            if api.schemaRules.isEmpty {
                w.line("public static let registry: [String: SchemaRule] = [:]")
            } else {
                w.line("public static let registry: [String: SchemaRule] = [")
                for (name, _) in api.schemaRules {
                    w.line("    \(Literal.string(name)): \(Naming.escaped(Naming.lowerCamel(name))),")
                }
                w.line("]")
            }
            w.line()
            w.line("public static let validator = SchemaValidator(registry: registry)")
        }
        w.line()
        w.doc("Request and response body rules, per operation.")
        w.block("public enum OperationSchemas") { w in
            for operation in api.operations {
                if case .json(_, let rule, _)? = operation.body {
                    w.line("public static let \(operation.operationId)Body: SchemaRule = \(expression(rule))")
                }
            }
            w.line()
            w.doc("The schema of an operation's JSON request body, if it has one.")
            w.block("public static func requestBody(operationId: String) -> SchemaRule?") { w in
                w.line("switch operationId {")
                for operation in api.operations {
                    if case .json? = operation.body {
                        w.line("case \(Literal.string(operation.operationId)): return \(operation.operationId)Body")
                    }
                }
                w.line("default: return nil")
                w.line("}")
            }
            w.line()
            w.doc("The schema of an operation's response body for a status, if it has a JSON body. A status the operation does not list has its `default` response's; a listed one without a JSON body (204, a file, an event stream) has none.")
            w.block("public static func response(operationId: String, status: Int) -> SchemaRule?") { w in
                w.line("switch (operationId, status) {")
                for operation in api.operations {
                    for response in operation.responses {
                        if let rule = response.rule {
                            w.line("case (\(Literal.string(operation.operationId)), \(response.status)): return \(expression(rule))")
                        } else if operation.defaultResponseRule != nil {
                            // Declared, so not `default`'s: without this the wildcard below would claim it.
                            w.line("case (\(Literal.string(operation.operationId)), \(response.status)): return nil")
                        }
                    }
                    if let rule = operation.defaultResponseRule {
                        w.line("case (\(Literal.string(operation.operationId)), _): return \(expression(rule))")
                    }
                }
                w.line("default: return nil")
                w.line("}")
            }
            w.line()
            w.doc("The schemas of an operation's documented response headers for a status (header values are text; an integer rule means whole-number text).")
            w.block("public static func responseHeaders(operationId: String, status: Int) -> [(name: String, rule: SchemaRule)]") { w in
                w.line("switch (operationId, status) {")
                for operation in api.operations {
                    for response in operation.responses {
                        let rules = response.headers.compactMap { header in header.rule.map { (header.name, $0) } }
                        guard !rules.isEmpty else { continue }
                        let list = rules.map { "(\(Literal.string($0.0)), \(expression($0.1)))" }.joined(separator: ", ")
                        w.line("case (\(Literal.string(operation.operationId)), \(response.status)): return [\(list)]")
                    }
                }
                w.line("default: return []")
                w.line("}")
            }
            w.line()
            w.doc("The schema of an SSE event's `data` on an operation's feed (`x-hot-sse-events`), if the feed sends that event.")
            w.block("public static func eventData(operationId: String, event: String) -> SchemaRule?") { w in
                w.line("switch (operationId, event) {")
                for operation in api.operations {
                    for event in operation.sseEvents {
                        w.line("case (\(Literal.string(operation.operationId)), \(Literal.string(event.event))): return .ref(\(Literal.string(event.schema)))")
                    }
                }
                w.line("default: return nil")
                w.line("}")
            }
            w.line()
            w.doc("The statuses an operation's responses list by number (its `default` aside); empty for an unknown operation.")
            w.block("public static func documentedStatuses(operationId: String) -> Set<Int>") { w in
                w.line("switch operationId {")
                for operation in api.operations {
                    let statuses = operation.responses.map { String($0.status) }.joined(separator: ", ")
                    w.line("case \(Literal.string(operation.operationId)): return [\(statuses)]")
                }
                w.line("default: return []")
                w.line("}")
            }
        }
        return w.text
    }

    static func expression(_ rule: RuleDecl) -> String {
        switch rule {
        case .any: return ".any"
        case .null: return ".null"
        case .boolean: return ".boolean"
        case .integer(let minimum, let maximum):
            return ".integer(minimum: \(Literal.optional(minimum)), maximum: \(Literal.optional(maximum)))"
        case .number(let minimum, let maximum):
            return ".number(minimum: \(Literal.optional(minimum)), maximum: \(Literal.optional(maximum)))"
        case .string(let string):
            return ".string(\(stringRule(string)))"
        case .array(let items, let minItems, let maxItems):
            return ".array(items: \(expression(items)), minItems: \(Literal.optional(minItems)), maxItems: \(Literal.optional(maxItems)))"
        case .object(let properties, let required, let additional, let propertyNames, let patternProperties):
            let props = properties.map { "(\(Literal.string($0.name)), \(expression($0.rule)))" }.joined(separator: ", ")
            let requiredList = required.map(Literal.string).joined(separator: ", ")
            let additionalExpression: String
            switch additional {
            case .allowed: additionalExpression = ".allowed"
            case .forbidden: additionalExpression = ".forbidden"
            case .schema(let value): additionalExpression = ".schema(\(expression(value)))"
            }
            let names = propertyNames.map { ", propertyNames: \(stringRule($0))" } ?? ""
            let patterns = patternProperties.isEmpty ? "" : ", patternProperties: [\(patternProperties.map { "(\(Literal.string($0.pattern)), \(expression($0.rule)))" }.joined(separator: ", "))]"
            return ".object(ObjectRule(properties: [\(props)], required: [\(requiredList)], additional: \(additionalExpression)\(names)\(patterns)))"
        case .ref(let name):
            return ".ref(\(Literal.string(name)))"
        case .nullable(let inner):
            return ".nullable(\(expression(inner)))"
        case .checked(let check, let inner):
            // An unknown check is a compile error of the generated code, never an unchecked schema.
            return ".checked(.\(check), \(expression(inner)))"
        }
    }

    static func stringRule(_ rule: StringRuleDecl) -> String {
        var arguments: [String] = []
        switch rule.format {
        case "uuid": arguments.append("format: .uuid")
        case "date-time": arguments.append("format: .dateTime")
        case "binary": arguments.append("format: .binary")
        default: break
        }
        if let allowed = rule.allowedValues {
            arguments.append("allowedValues: [\(allowed.map(Literal.string).joined(separator: ", "))]")
        }
        if let minLength = rule.minLength { arguments.append("minLength: \(minLength)") }
        if let maxLength = rule.maxLength { arguments.append("maxLength: \(maxLength)") }
        if let pattern = rule.pattern { arguments.append("pattern: \(Literal.string(pattern))") }
        return "StringRule(\(arguments.joined(separator: ", ")))"
    }
}

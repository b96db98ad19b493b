import Foundation
import OpenAPIKit

/// `x-hot-permission`: an operation's requirements, each placeholder of whose URN templates must
/// name an input the operation declares.
extension Translator {
    /// `x-hot-permission`: one requirement, a list of them, or `none` (authentication alone). Every
    /// placeholder of a resource template must name an input the operation declares (`inputs`): a
    /// misspelt one would otherwise leave a check that can never be resolved. Refusals name the
    /// template's place as a JSON pointer (`at`).
    func permissionDecls(
        _ raw: Any?, operationId: String, isPublic: Bool, at pointer: String, inputs: [String: PlaceholderInput]
    ) throws -> [PermissionDecl] {
        func decl(_ entry: Any, at pointer: String) throws -> PermissionDecl {
            guard let map = entry as? [String: Any], let resource = map["resource"] as? String, let action = map["action"] as? String else {
                throw Unsupported(description: "\(pointer): each x-hot-permission needs resource and action")
            }
            let mode = map["mode"] as? String ?? "check"
            guard mode == "check" || mode == "filter" else {
                throw Unsupported(description: "\(pointer)/mode: x-hot-permission mode must be check or filter")
            }
            var mayBeAbsent: [String] = []
            for name in try Self.placeholders(in: resource, at: pointer + "/resource") {
                guard let input = inputs[name] else {
                    let declared = inputs.keys.sorted().map { "{\($0)}" }.joined(separator: ", ")
                    throw Unsupported(description: "\(pointer)/resource: {\(name)} names no input of \(operationId) (declared: \(declared))")
                }
                if input == .mayBeAbsent, !mayBeAbsent.contains(name) { mayBeAbsent.append(name) }
            }
            return PermissionDecl(resource: resource, action: action, mode: mode, mayBeAbsent: mayBeAbsent)
        }
        switch raw {
        case nil where isPublic:
            return []
        case nil:
            throw Unsupported(description: "\(pointer): x-hot-permission is required (a requirement, a list, or none)")
        case let text as String where text == "none":
            return []
        case let list as [Any]:
            return try list.enumerated().map { try decl($1, at: "\(pointer)/\($0)") }
        case let entry?:
            return [try decl(entry, at: pointer)]
        }
    }

    /// Whether a permission template's placeholder always has a value.
    enum PlaceholderInput: Equatable {
        case alwaysPresent
        /// An optional query parameter or body field: the requirement applies only when it is sent.
        case mayBeAbsent
    }

    /// The placeholders a permission template of this operation may name: `{project}` (the
    /// `project_id_or_slug` path parameter), `{env}`, `{path.NAME}`, `{query.NAME}` and, for a JSON
    /// body, `{body.NAME}` of a string property.
    func placeholderInputs(parameters: [ParameterDecl], body: BodyDecl?) throws -> [String: PlaceholderInput] {
        var inputs: [String: PlaceholderInput] = ["env": .alwaysPresent]
        for parameter in parameters {
            switch parameter.location {
            case .path:
                inputs["path.\(parameter.name)"] = .alwaysPresent
                if parameter.name == "project_id_or_slug" { inputs["project"] = .alwaysPresent }
            case .query:
                inputs["query.\(parameter.name)"] = parameter.alwaysPresent ? .alwaysPresent : .mayBeAbsent
            case .header:
                break
            }
        }
        guard case .json(_, var rule, let bodyRequired)? = body else { return inputs }
        if case .ref(let name) = rule, let schema = components.schemas[OpenAPI.ComponentKey(stringLiteral: name)] {
            rule = try self.rule(for: schema)
        }
        if case .checked(_, let inner) = rule { rule = inner }
        guard case .object(let properties, let required, _, _, _) = rule else { return inputs }
        for (name, propertyRule) in properties {
            var valueRule = propertyRule
            var nullable = false
            if case .checked(_, let inner) = valueRule { valueRule = inner }
            if case .nullable(let inner) = valueRule { (valueRule, nullable) = (inner, true) }
            if case .ref(let target) = valueRule, isStringEnum(target) { valueRule = .string(StringRuleDecl()) }
            // Only strings fill a URN; a template naming another type is refused as undeclared.
            guard case .string = valueRule else { continue }
            let present = bodyRequired && required.contains(name) && !nullable
            inputs["body.\(name)"] = present ? .alwaysPresent : .mayBeAbsent
        }
        return inputs
    }

    /// The placeholder names of a URN template (`event:{body.event_type}` → `body.event_type`), or a
    /// refusal for braces that do not pair up.
    static func placeholders(in template: String, at pointer: String) throws -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[rest.index(after: open)...].firstIndex(where: { $0 == "{" || $0 == "}" }),
                  rest[close] == "}", close > rest.index(after: open)
            else {
                throw Unsupported(description: "\(pointer): unbalanced or empty braces in \(template)")
            }
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

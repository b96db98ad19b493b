import Foundation
import Synchronization

/// One way a value breaks its schema: where (`field`, e.g. `name` or `permissions.stream:*[0]`) and why.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    /// Whether `message` is whole as it is (a `SchemaCheck`'s, in the documentation's words), rather
    /// than a keyword's that reads after the field's name.
    public var isWhole: Bool = false
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Checks JSON values against `SchemaRule`s; used on requests (bad input → 400) and, by tests, on responses.
public struct SchemaValidator: Sendable {
    public let registry: [String: SchemaRule]

    public init(registry: [String: SchemaRule]) {
        self.registry = registry
    }

    /// Every issue, in document order; empty when the value conforms.
    public func issues(_ value: JSONValue, against rule: SchemaRule, at field: String = "") -> [ValidationIssue] {
        var found: [ValidationIssue] = []
        check(value, rule, field, &found)
        return found
    }

    /// Throws 400 `bad_request` naming the first offending field.
    public func validate(_ value: JSONValue, against rule: SchemaRule, at field: String = "") throws {
        if let first = issues(value, against: rule, at: field).first {
            if first.isWhole { throw APIError.badRequest(first.message) }
            throw APIError.badRequest(first.field.isEmpty ? "Invalid request: \(first.message)" : "Invalid field '\(first.field)': \(first.message)")
        }
    }

    private func check(_ value: JSONValue, _ rule: SchemaRule, _ field: String, _ found: inout [ValidationIssue]) {
        func fail(_ message: String) { found.append(ValidationIssue(field: field, message: message)) }
        switch rule {
        case .any:
            return
        case .null:
            if value != .null { fail("must be null, not \(value.typeName)") }
        case .nullable(let inner):
            if value != .null { check(value, inner, field, &found) }
        case .checked(let schemaCheck, let inner):
            if let problem = schemaCheck.problem(value) {
                return found.append(ValidationIssue(field: field, message: problem, isWhole: true))
            }
            check(value, inner, field, &found)
        case .ref(let name):
            guard let target = registry[name] else { return fail("schema \(name) is unknown") }
            check(value, target, field, &found)
        case .boolean:
            if case .bool = value { return }
            fail("must be a boolean, not \(value.typeName)")
        case .integer(let minimum, let maximum):
            let number: Int64
            switch value {
            case .int(let i): number = i
            case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: number = Int64(d)
            default: return fail("must be an integer, not \(value.typeName)")
            }
            if let minimum, number < minimum { fail("must be at least \(minimum)") }
            if let maximum, number > maximum { fail("must be at most \(maximum)") }
        case .number(let minimum, let maximum):
            let number: Double
            switch value {
            case .int(let i): number = Double(i)
            case .double(let d): number = d
            default: return fail("must be a number, not \(value.typeName)")
            }
            if let minimum, number < minimum { fail("must be at least \(minimum)") }
            if let maximum, number > maximum { fail("must be at most \(maximum)") }
        case .string(let stringRule):
            guard case .string(let text) = value else { return fail("must be a string, not \(value.typeName)") }
            if let message = Self.problem(with: text, stringRule) { fail(message) }
        case .array(let items, let minItems, let maxItems):
            guard case .array(let elements) = value else { return fail("must be an array, not \(value.typeName)") }
            if let minItems, elements.count < minItems { fail("must have at least \(minItems) item\(minItems == 1 ? "" : "s")") }
            if let maxItems, elements.count > maxItems { fail("must have at most \(maxItems) item\(maxItems == 1 ? "" : "s")") }
            for (index, element) in elements.enumerated() {
                check(element, items, "\(field)[\(index)]", &found)
            }
        case .object(let objectRule):
            guard case .object(let members) = value else { return fail("must be an object, not \(value.typeName)") }
            func path(_ key: String) -> String { field.isEmpty ? key : "\(field).\(key)" }
            for name in objectRule.required where members[name] == nil {
                found.append(ValidationIssue(field: path(name), message: "is required"))
            }
            if let namesRule = objectRule.propertyNames {
                for key in members.keys.sorted() {
                    if let problem = Self.problem(with: key, namesRule) { fail("key '\(key)' \(problem)") }
                }
            }
            for (name, propertyRule) in objectRule.properties {
                if let member = members[name] { check(member, propertyRule, path(name), &found) }
            }
            let declared = Set(objectRule.properties.map(\.name))
            for key in members.keys.sorted() where !declared.contains(key) {
                let matching = objectRule.patternProperties.filter { PatternCache.shared.matches(key, $0.pattern) }
                for (_, patternRule) in matching { check(members[key]!, patternRule, path(key), &found) }
                guard matching.isEmpty else { continue }
                switch objectRule.additional {
                case .allowed: break
                case .forbidden: found.append(ValidationIssue(field: path(key), message: "is not a known field"))
                case .schema(let additionalRule): check(members[key]!, additionalRule, path(key), &found)
                }
            }
        }
    }

    /// Why `text` breaks `rule`, or nil. Also used for path, query and form values.
    public static func problem(with text: String, _ rule: StringRule) -> String? {
        // PostgreSQL cannot store or compare a NUL character: no string input may carry one.
        if text.utf8.contains(0) { return "must not contain a NUL character" }
        if let allowed = rule.allowedValues, !allowed.contains(text) {
            return "'\(text)' is not one of \(allowed.joined(separator: ", "))"
        }
        let length = text.count
        if let minLength = rule.minLength, length < minLength {
            return minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters"
        }
        if let maxLength = rule.maxLength, length > maxLength { return "must be at most \(maxLength) characters" }
        switch rule.format {
        case .uuid:
            if UUID(uuidString: text) == nil { return "must be a UUID" }
        case .dateTime:
            if RFC3339.date(from: text) == nil { return "must be an RFC 3339 date-time" }
        case .binary, nil:
            break
        }
        if let pattern = rule.pattern, !PatternCache.shared.matches(text, pattern) {
            return "must match the pattern \(pattern)"
        }
        return nil
    }
}

/// Compiled `pattern` keywords, shared by all validations (compiling a regex per request is wasteful).
final class PatternCache: Sendable {
    static let shared = PatternCache()
    private let compiled = Mutex<[String: NSRegularExpression]>([:])

    /// JSON Schema patterns are ECMA-262, where `$` matches only at the end of the input; ICU's `$`
    /// also matches before a final newline (so `^[a-z]+$` would take "abc\n"). Unescaped `$`
    /// outside character classes becomes `\z`.
    static func endAnchoredAtEnd(_ pattern: String) -> String {
        var result = ""
        var escaped = false
        var inClass = false
        for character in pattern {
            if escaped {
                result.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\":
                escaped = true
                result.append(character)
            case "[":
                inClass = true
                result.append(character)
            case "]":
                inClass = false
                result.append(character)
            case "$" where !inClass:
                result += "\\z"
            default:
                result.append(character)
            }
        }
        return result
    }

    func matches(_ text: String, _ pattern: String) -> Bool {
        let regex: NSRegularExpression? = compiled.withLock { cache in
            if let hit = cache[pattern] { return hit }
            // The patterns are the spec's, fixed at build time: one that does not compile refuses
            // every value (and the spec's examples, replayed by the tests, would show it).
            let made = try? NSRegularExpression(pattern: Self.endAnchoredAtEnd(pattern))
            cache[pattern] = made
            return made
        }
        guard let regex else { return false }
        // JSON Schema patterns are unanchored searches.
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

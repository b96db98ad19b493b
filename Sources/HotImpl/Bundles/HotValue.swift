/// A Hot data literal as read from `manifest.hot`.
public indirect enum HotValue: Sendable, Equatable {
    /// A map; entries keep the order in which they were written. Keys are unique.
    case map([(key: String, value: HotValue)])
    case vector([HotValue])
    case string(String)
    case integer(Int64)
    /// A decimal, kept as its source text normalised to a valid JSON number
    /// (e.g. `1.25`, `-0.5`, `6.02e23`).
    case decimal(String)
    case bool(Bool)
    case null

    public static func == (lhs: HotValue, rhs: HotValue) -> Bool {
        switch (lhs, rhs) {
        case let (.map(a), .map(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.vector(a), .vector(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.decimal(a), .decimal(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value stored under `key` when this is a map.
    public subscript(key: String) -> HotValue? {
        guard case let .map(entries) = self else { return nil }
        return entries.first(where: { $0.key == key })?.value
    }

    /// The value as a string, when it is one.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// Valid JSON text for this value (compact, map keys as JSON strings, order preserved).
    public func jsonText() -> String {
        var out = ""
        appendJSON(to: &out)
        return out
    }

    private func appendJSON(to out: inout String) {
        switch self {
        case let .map(entries):
            out.append("{")
            for (index, entry) in entries.enumerated() {
                if index > 0 { out.append(",") }
                HotValue.appendJSONString(entry.key, to: &out)
                out.append(":")
                entry.value.appendJSON(to: &out)
            }
            out.append("}")
        case let .vector(items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                item.appendJSON(to: &out)
            }
            out.append("]")
        case let .string(s):
            HotValue.appendJSONString(s, to: &out)
        case let .integer(i):
            out.append(String(i))
        case let .decimal(text):
            out.append(text)
        case let .bool(b):
            out.append(b ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    static func appendJSONString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

/// Swift names for the spec's JSON names.
enum Naming {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "Any", "catch", "false", "is",
        "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type", "Protocol",
    ]

    /// `project_id` → `projectId`, `has-more` → `hasMore`, `event:created` → `eventCreated`.
    static func lowerCamel(_ name: String) -> String {
        let words = splitWords(name)
        guard let first = words.first else { return "_" }
        var result = first.lowercasedFirst + words.dropFirst().map(\.capitalizedFirst).joined()
        if let c = result.first, c.isNumber { result = "_" + result }
        return result
    }

    /// `listProjects` → `ListProjects`, `usage_percent` → `UsagePercent`.
    static func upperCamel(_ name: String) -> String {
        let words = splitWords(name)
        var result = words.map(\.capitalizedFirst).joined()
        if let c = result.first, c.isNumber { result = "_" + result }
        return result.isEmpty ? "_" : result
    }

    /// A name safe to declare: keywords get backticks.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    static func splitWords(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in name {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func responseCaseName(status: Int) -> String {
        switch status {
        case 200: "ok"
        case 201: "created"
        case 202: "accepted"
        case 204: "noContent"
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "notFound"
        case 405: "methodNotAllowed"
        case 409: "conflict"
        case 413: "contentTooLarge"
        case 415: "unsupportedMediaType"
        case 422: "unprocessableContent"
        case 429: "tooManyRequests"
        case 500: "internalServerError"
        case 501: "notImplemented"
        case 503: "serviceUnavailable"
        default: "status\(status)"
        }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
    var lowercasedFirst: String {
        // `URLPath` → `urlPath`: lower the leading run of capitals but keep the start of the next word.
        let chars = Array(self)
        var end = 0
        while end < chars.count, chars[end].isUppercase { end += 1 }
        if end <= 1 { return prefix(1).lowercased() + dropFirst() }
        if end == chars.count { return lowercased() }
        return String(chars[..<(end - 1)]).lowercased() + String(chars[(end - 1)...])
    }
}

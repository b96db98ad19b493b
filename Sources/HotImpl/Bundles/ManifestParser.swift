import Foundation

/// Strict, data-only parser for the Hot literal syntax used by `manifest.hot`.
///
/// Accepted: maps `{key: value, "key": value}` (keys are strings or identifiers),
/// vectors `[a, b]`, strings (escapes `\n \r \t \" \\` only), integers (64-bit),
/// decimals (`1.5`, `-2e10`), `true`, `false`, `null`, and the writer's byte
/// constructors `Byte(n)` / `Bytes([n, ...])` (read as integers). Elements are
/// separated by commas; a trailing comma is allowed. Only whitespace may
/// appear between tokens (there are no comments). Everything else — variables,
/// calls, lambdas, template strings — is rejected. Every error message starts
/// with `<source>:<line>:<column>:` (1-based, columns count Unicode scalars).
/// Nesting is bounded, so hostile input cannot overflow the stack.
public struct ManifestParser: Sendable {
    public static let defaultMaxBytes = 1 << 20
    public static let defaultMaxDepth = 64
    public static let defaultMaxValues = 100_000

    public var sourceName: String
    public var maxBytes: Int
    public var maxDepth: Int
    public var maxValues: Int

    public init(
        sourceName: String = "manifest.hot",
        maxBytes: Int = ManifestParser.defaultMaxBytes,
        maxDepth: Int = ManifestParser.defaultMaxDepth,
        maxValues: Int = ManifestParser.defaultMaxValues
    ) {
        self.sourceName = sourceName
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxValues = maxValues
    }

    /// Parses UTF-8 manifest bytes.
    public static func parse(_ data: Data, sourceName: String = "manifest.hot") throws -> HotValue {
        try ManifestParser(sourceName: sourceName).parse(data)
    }

    /// Parses manifest text.
    public static func parse(_ text: String, sourceName: String = "manifest.hot") throws -> HotValue {
        try ManifestParser(sourceName: sourceName).parse(Data(text.utf8))
    }

    public func parse(_ data: Data) throws -> HotValue {
        if data.count > maxBytes {
            throw BundleError("\(sourceName):1:1: manifest is \(data.count) bytes, more than the limit of \(maxBytes) bytes")
        }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(data.count)
        var iterator = data.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): scalars.append(scalar)
            case .emptyInput: break decoding
            case .error:
                var cursor = Cursor(parser: self, scalars: scalars)
                cursor.position = scalars.count
                throw cursor.error("manifest is not valid UTF-8")
            }
        }
        var cursor = Cursor(parser: self, scalars: scalars)
        let value = try cursor.parseValue(depth: 0)
        cursor.skipWhitespace()
        if cursor.position < scalars.count {
            throw cursor.error("unexpected \(cursor.describeCurrent()) after the manifest value")
        }
        return value
    }

    private struct Cursor {
        let parser: ManifestParser
        let scalars: [Unicode.Scalar]
        var position = 0
        var values = 0

        init(parser: ManifestParser, scalars: [Unicode.Scalar]) {
            self.parser = parser
            self.scalars = scalars
        }

        var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        func error(_ message: String, at offset: Int? = nil) -> BundleError {
            let end = min(offset ?? position, scalars.count)
            var line = 1
            var column = 1
            var index = 0
            while index < end {
                if scalars[index] == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                index += 1
            }
            return BundleError("\(parser.sourceName):\(line):\(column): \(message)")
        }

        func describeCurrent() -> String {
            guard let c = peek else { return "end of manifest" }
            if c.value < 0x20 || c.value == 0x7F { return "character U+\(String(c.value, radix: 16, uppercase: true))" }
            return "'\(Character(c))'"
        }

        mutating func skipWhitespace() {
            while let c = peek, c.properties.isWhitespace { position += 1 }
        }

        static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c == "_" || c == "$"
        }

        static func isIdentifierContinue(_ c: Unicode.Scalar) -> Bool {
            isIdentifierStart(c) || c.properties.numericType != nil || c == "-"
        }

        static func isDigit(_ c: Unicode.Scalar) -> Bool {
            c.value >= 0x30 && c.value <= 0x39
        }

        mutating func expect(_ c: Unicode.Scalar, _ what: String) throws {
            guard peek == c else { throw error("expected \(what), found \(describeCurrent())") }
            position += 1
        }

        mutating func countValue() throws {
            values += 1
            if values > parser.maxValues {
                throw error("manifest has more than \(parser.maxValues) values")
            }
        }

        mutating func parseValue(depth: Int) throws -> HotValue {
            skipWhitespace()
            try countValue()
            guard let c = peek else { throw error("unexpected end of manifest, expected a value") }
            switch c {
            case "{", "[":
                if depth >= parser.maxDepth {
                    throw error("nesting is deeper than the limit of \(parser.maxDepth) levels")
                }
                return c == "{" ? try parseMap(depth: depth + 1) : try parseVector(depth: depth + 1)
            case "\"":
                return .string(try parseString())
            case "-":
                return try parseNumber()
            case "`":
                throw error("template strings are not allowed in a manifest")
            default:
                if Cursor.isDigit(c) { return try parseNumber() }
                if Cursor.isIdentifierStart(c) {
                    let start = position
                    let identifier = parseIdentifier()
                    switch identifier {
                    case "true": return .bool(true)
                    case "false": return .bool(false)
                    case "null": return .null
                    case "Byte": return try parseByteConstructor()
                    case "Bytes": return try parseBytesConstructor()
                    default:
                        throw error(
                            "'\(identifier)' is not allowed: a manifest holds only data literals "
                                + "(maps, vectors, strings, numbers, true, false, null)",
                            at: start)
                    }
                }
                throw error("expected a value, found \(describeCurrent())")
            }
        }

        mutating func parseMap(depth: Int) throws -> HotValue {
            position += 1  // '{'
            var entries: [(key: String, value: HotValue)] = []
            var seen = Set<String>()
            skipWhitespace()
            if peek == "}" {
                position += 1
                return .map(entries)
            }
            while true {
                skipWhitespace()
                let keyStart = position
                let key: String
                if peek == "\"" {
                    key = try parseString()
                } else if let c = peek, Cursor.isIdentifierStart(c) {
                    key = parseIdentifier()
                } else {
                    throw error("expected a map key (a string or an identifier), found \(describeCurrent())")
                }
                if !seen.insert(key).inserted {
                    throw error("duplicate map key \"\(key)\"", at: keyStart)
                }
                skipWhitespace()
                try expect(":", "':' after map key")
                let value = try parseValue(depth: depth)
                entries.append((key: key, value: value))
                if try endOfElement("}") { break }
            }
            return .map(entries)
        }

        mutating func parseVector(depth: Int) throws -> HotValue {
            position += 1  // '['
            var items: [HotValue] = []
            skipWhitespace()
            if peek == "]" {
                position += 1
                return .vector(items)
            }
            while true {
                items.append(try parseValue(depth: depth))
                if try endOfElement("]") { break }
            }
            return .vector(items)
        }

        /// After an element: the closer (true, consumed), or a comma and then perhaps the closer
        /// (a trailing comma), or an error naming both.
        mutating func endOfElement(_ closer: Unicode.Scalar) throws -> Bool {
            skipWhitespace()
            if peek == closer {
                position += 1
                return true
            }
            try expect(",", "',' or '\(closer)'")
            skipWhitespace()
            if peek == closer {
                position += 1
                return true
            }
            return false
        }

        mutating func parseString() throws -> String {
            let start = position
            position += 1  // opening quote
            var value = String.UnicodeScalarView()
            while true {
                guard let c = peek else { throw error("unterminated string", at: start) }
                position += 1
                switch c {
                case "\"":
                    return String(value)
                case "\0":
                    // PostgreSQL stores no NUL: handler names, event types and meta could not be kept.
                    throw error("a NUL character is not allowed in a string", at: position - 1)
                case "\\":
                    guard let escape = peek else { throw error("unterminated string", at: start) }
                    switch escape {
                    case "n": value.append("\n")
                    case "r": value.append("\r")
                    case "t": value.append("\t")
                    case "\"": value.append("\"")
                    case "\\": value.append("\\")
                    default:
                        throw error(
                            "unsupported escape '\\\(Character(escape))' in string (allowed: \\n \\r \\t \\\" \\\\)",
                            at: position - 1)
                    }
                    position += 1
                default:
                    value.append(c)
                }
            }
        }

        mutating func parseIdentifier() -> String {
            let start = position
            position += 1
            while let c = peek, Cursor.isIdentifierContinue(c) { position += 1 }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[start..<position])
            return String(view)
        }

        mutating func consumeDigits() -> Int {
            let start = position
            while let c = peek, Cursor.isDigit(c) { position += 1 }
            return position - start
        }

        mutating func parseNumber() throws -> HotValue {
            let start = position
            if peek == "-" { position += 1 }
            let integerStart = position
            if consumeDigits() == 0 { throw error("invalid number: expected a digit") }
            let integerEnd = position
            var isDecimal = false
            if peek == "." {
                isDecimal = true
                position += 1
                if consumeDigits() == 0 { throw error("invalid decimal: expected a digit after '.'") }
            }
            if peek == "e" || peek == "E" {
                isDecimal = true
                position += 1
                if peek == "+" || peek == "-" { position += 1 }
                if consumeDigits() == 0 { throw error("invalid decimal: expected a digit in the exponent") }
            }
            if let c = peek, Cursor.isIdentifierStart(c) || c == "." || c == "(" || c == "[" {
                throw error("invalid number: unexpected \(describeCurrent())")
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars[start..<position])
            if isDecimal {
                // Normalise to a valid JSON number: no leading zeros in the integer part.
                var normalised = String.UnicodeScalarView()
                if scalars[start] == "-" { normalised.append("-") }
                var firstSignificant = integerStart
                while firstSignificant < integerEnd - 1 && scalars[firstSignificant] == "0" { firstSignificant += 1 }
                normalised.append(contentsOf: scalars[firstSignificant..<position])
                return .decimal(String(normalised))
            }
            guard let value = Int64(String(text)) else {
                throw error("integer \(String(text)) does not fit in 64 bits", at: start)
            }
            return .integer(value)
        }

        mutating func parseByteLiteral() throws -> Int64 {
            skipWhitespace()
            let start = position
            guard let c = peek, Cursor.isDigit(c) || c == "-" else {
                throw error("expected a byte value (an integer 0-255), found \(describeCurrent())")
            }
            guard case let .integer(value) = try parseNumber(), (0...255).contains(value) else {
                throw error("byte values must be integers between 0 and 255", at: start)
            }
            return value
        }

        mutating func parseByteConstructor() throws -> HotValue {
            skipWhitespace()
            try expect("(", "'(' after Byte")
            let value = try parseByteLiteral()
            skipWhitespace()
            try expect(")", "')'")
            return .integer(value)
        }

        mutating func parseBytesConstructor() throws -> HotValue {
            skipWhitespace()
            try expect("(", "'(' after Bytes")
            skipWhitespace()
            try expect("[", "'[' in Bytes(...)")
            var items: [HotValue] = []
            skipWhitespace()
            if peek == "]" {
                position += 1
            } else {
                while true {
                    try countValue()
                    items.append(.integer(try parseByteLiteral()))
                    skipWhitespace()
                    if peek == "]" {
                        position += 1
                        break
                    }
                    try expect(",", "',' or ']'")
                    skipWhitespace()
                    if peek == "]" {
                        position += 1
                        break
                    }
                }
            }
            skipWhitespace()
            try expect(")", "')'")
            return .vector(items)
        }
    }
}

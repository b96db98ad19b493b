import Foundation

/// Splits a SQL script into statements at top-level semicolons, leaving semicolons inside quotes,
/// comments and dollar-quoted bodies alone.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let chars = Array(script)
        var statements: [String] = []
        var current = ""
        // Whether `current` holds anything but whitespace and comments (a chunk of only comments is no statement).
        var hasCode = false
        var index = 0
        func flush() {
            if hasCode { statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines)) }
            current = ""
            hasCode = false
        }
        while index < chars.count {
            let c = chars[index]
            if c == "-", index + 1 < chars.count, chars[index + 1] == "-" {
                while index < chars.count, chars[index] != "\n" { current.append(chars[index]); index += 1 }
                continue
            }
            if c == "/", index + 1 < chars.count, chars[index + 1] == "*" {
                // Block comments nest in PostgreSQL: `/* a /* b */ still a comment */`.
                var depth = 0
                while index < chars.count {
                    if chars[index] == "/", index + 1 < chars.count, chars[index + 1] == "*" {
                        depth += 1
                        current += "/*"
                        index += 2
                    } else if chars[index] == "*", index + 1 < chars.count, chars[index + 1] == "/" {
                        depth -= 1
                        current += "*/"
                        index += 2
                        if depth == 0 { break }
                    } else {
                        current.append(chars[index])
                        index += 1
                    }
                }
                continue
            }
            if c == ";" {
                flush()
                index += 1
                continue
            }
            if !c.isWhitespace { hasCode = true }
            if c == "'" || c == "\"" {
                current.append(c)
                index += 1
                while index < chars.count {
                    current.append(chars[index])
                    if chars[index] == c {
                        // A doubled quote is an escaped quote, not the end.
                        if index + 1 < chars.count, chars[index + 1] == c {
                            current.append(c)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(chars, from: index) {
                let tag = String(chars[index...tagEnd])
                current += tag
                index = tagEnd + 1
                while index < chars.count {
                    if chars[index] == "$", index + tag.count <= chars.count, String(chars[index..<index + tag.count]) == tag {
                        current += tag
                        index += tag.count
                        break
                    }
                    current.append(chars[index])
                    index += 1
                }
                continue
            }
            current.append(c)
            index += 1
        }
        flush()
        return statements
    }

    /// `$tag$` or `$$` starting at `start`: the index of its closing `$`.
    private static func dollarTagEnd(_ chars: [Character], from start: Int) -> Int? {
        var index = start + 1
        while index < chars.count {
            if chars[index] == "$" { return index }
            guard chars[index].isLetter || chars[index].isNumber || chars[index] == "_" else { return nil }
            index += 1
        }
        return nil
    }
}

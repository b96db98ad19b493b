import Foundation

/// A custom domain as stored: lower-case ASCII, internationalised labels in their `xn--` form.
public enum DomainName {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The stored form of `input`, or why it cannot be a custom domain: at least two labels of
    /// 1–63 letters, digits and hyphens (not at a label's ends), 253 characters in all; no IP
    /// address, wildcard, scheme, port or trailing dot. Unicode labels are accepted (NFC, lower-cased)
    /// and become their Punycode form; an `xn--` label must be valid Punycode. `minimumLabels`: 1
    /// admits a bare host name (a CNAME target such as `localhost`).
    public static func normalize(_ input: String, minimumLabels: Int = 2) throws(Invalid) -> String {
        func invalid(_ reason: String) -> Invalid { Invalid(description: "Invalid domain '\(input)': \(reason)") }
        let text = input.precomposedStringWithCanonicalMapping.lowercased()
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard !text.hasSuffix(".") else { throw invalid("no trailing dot") }
        guard !text.contains("*") else { throw invalid("wildcards are not supported") }
        guard !text.contains(":"), !text.contains("/") else { throw invalid("give the host name alone, without scheme, port or path") }
        var labels: [String] = []
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            labels.append(try asciiLabel(String(label), invalid: invalid))
        }
        guard labels.count >= minimumLabels else { throw invalid("it needs at least two labels, e.g. mcp.example.com") }
        // No top-level domain is all digits: this refuses IPv4 addresses (and numeric look-alikes).
        guard labels.last!.contains(where: { !$0.isASCII || !$0.isNumber }) else { throw invalid("IP addresses are not domains") }
        let name = labels.joined(separator: ".")
        guard name.utf8.count <= 253 else { throw invalid("it is longer than 253 characters") }
        return name
    }

    private static func asciiLabel(_ label: String, invalid: (String) -> Invalid) throws(Invalid) -> String {
        guard !label.isEmpty else { throw invalid("empty label") }
        var ascii = label
        if !label.unicodeScalars.allSatisfy(\.isASCII) {
            guard label.unicodeScalars.allSatisfy(isLabelScalar) else { throw invalid("label '\(label)' holds a character a domain cannot") }
            guard let encoded = Punycode.encode(label) else { throw invalid("label '\(label)' cannot be encoded") }
            ascii = "xn--" + encoded
        }
        guard ascii.utf8.count <= 63 else { throw invalid("label '\(label)' is longer than 63 characters") }
        guard ascii.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }) else {
            throw invalid("label '\(label)' may hold only letters, digits and hyphens")
        }
        guard !ascii.hasPrefix("-"), !ascii.hasSuffix("-") else { throw invalid("label '\(label)' starts or ends with a hyphen") }
        let bytes = Array(ascii.utf8)
        if bytes.count >= 4, bytes[2] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: "-") {
            guard ascii.hasPrefix("xn--"), let decoded = Punycode.decode(String(ascii.dropFirst(4))),
                  !decoded.unicodeScalars.allSatisfy(\.isASCII), decoded.unicodeScalars.allSatisfy(isLabelScalar),
                  decoded == decoded.precomposedStringWithCanonicalMapping.lowercased()
            else { throw invalid("label '\(label)' is not a valid internationalised label") }
        }
        return ascii
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Letters, marks, digits and the hyphen: what IDNA admits in a label, near enough (no symbols,
    /// punctuation, spaces or controls).
    private static func isLabelScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "-" { return true }
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }
}

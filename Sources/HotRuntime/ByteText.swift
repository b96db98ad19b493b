/// Text appended to bytes being written (a response, a log line) without making a `String` first.
extension Array where Element == UInt8 {
    /// A string's UTF-8. `append(contentsOf: string.utf8)` goes byte by byte for a small string
    /// (one stored inline, as most keys and short values are); this copies it whole.
    mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }

    /// An integer's decimal digits (a `-` first when negative), from the end of a scratch space;
    /// zeros first to make at least `width` digits (`width: 2`: `07`).
    mutating func appendDecimal(_ value: Int64, width: Int = 1) {
        guard value != .min else {
            appendUTF8(value.description)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0 || 20 - start < Swift.min(width, 20)
            if value < 0 { append(UInt8(ascii: "-")) }
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }
}

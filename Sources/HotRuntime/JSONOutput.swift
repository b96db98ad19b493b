import Foundation

/// A value that writes itself as JSON, byte for byte as `JSONCoding.encoder` (Foundation's
/// `JSONEncoder`, keys sorted, slashes unescaped) would, without the encoder's intermediate tree,
/// boxes and run-time key sorting. The generated models conform (their keys written in sorted
/// order, fixed when the code is generated), as do the envelopes and the values they hold.
/// Responses go through it; in debug builds every response is checked against Foundation's
/// encoding (`Envelope.json`), so the test suites hold the two to the same bytes.
public protocol JSONWritable {
    func write(to json: inout JSONOutput)
}

/// The bytes of one JSON document being written. Commas are placed by the output itself: every
/// value written inside an object or array after the first is preceded by one.
public struct JSONOutput {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// `value` as one JSON document.
    public static func encode(_ value: some JSONWritable) -> [UInt8] {
        var json = JSONOutput()
        value.write(to: &json)
        return json.bytes
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member's key; its value is written next.
    public mutating func key(_ key: String) {
        separate()
        needsComma = false
        string(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A member: its key and value.
    public mutating func member(_ key: String, _ value: some JSONWritable) {
        self.key(key)
        value.write(to: &self)
    }

    /// A member whose value is left out when nil (`encodeIfPresent`).
    public mutating func member(_ key: String, ifPresent value: (some JSONWritable)?) {
        guard let value else { return }
        member(key, value)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        if let value = Int64(exactly: value) {
            bytes.appendDecimal(value)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
        needsComma = true
    }

    /// A UUID in the API's lowercase form, written from its bytes.
    public mutating func uuid(_ value: UUID) {
        separate()
        // The 38 bytes (quotes included) laid out in scratch space, then appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 38) { text in
            text[0] = UInt8(ascii: "\"")
            value.writeLowercase(into: UnsafeMutableBufferPointer(rebasing: text[1..<37]))
            text[37] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeBufferPointer(text))
        }
        needsComma = true
    }

    /// A date in the API's form (RFC 3339 UTC), written into the bytes.
    public mutating func date(_ value: Date) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// As `JSONEncoder` writes it: the shortest form that reads back the same, without a `.0` on
    /// whole numbers. Not finite: `JSONEncoder` refuses it; `null` here (nothing stores one).
    public mutating func double(_ value: Double) {
        separate()
        guard value.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            needsComma = true
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// A string, escaped as `JSONEncoder` does with `.withoutEscapingSlashes`: `"`, `\`, and the
    /// control characters (`\b \f \n \r \t`, the rest as `\u00XX`); everything else as it is.
    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Runs that need no escape are copied whole.
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                escape(byte)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                      HexString.digits[Int(byte >> 4)], HexString.digits[Int(byte & 0xF)]])
        }
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}

extension String: JSONWritable {
    public func write(to json: inout JSONOutput) { json.string(self) }
}

extension Bool: JSONWritable {
    public func write(to json: inout JSONOutput) { json.bool(self) }
}

extension Int: JSONWritable {
    public func write(to json: inout JSONOutput) { json.integer(self) }
}

extension Int64: JSONWritable {
    public func write(to json: inout JSONOutput) { json.integer(self) }
}

extension Int32: JSONWritable {
    public func write(to json: inout JSONOutput) { json.integer(self) }
}

extension Double: JSONWritable {
    public func write(to json: inout JSONOutput) { json.double(self) }
}

/// The API's form: lowercase (as `WireUUID`).
extension UUID: JSONWritable {
    public func write(to json: inout JSONOutput) { json.uuid(self) }
}

/// The API's form: RFC 3339 UTC (as `WireDate`).
extension Date: JSONWritable {
    public func write(to json: inout JSONOutput) { json.date(self) }
}

extension WireUUID: JSONWritable {
    public func write(to json: inout JSONOutput) { value.write(to: &json) }
}

extension WireDate: JSONWritable {
    public func write(to json: inout JSONOutput) { value.write(to: &json) }
}

/// `null` when nil (`encode`, not `encodeIfPresent`: members left out use `member(_:ifPresent:)`).
extension Optional: JSONWritable where Wrapped: JSONWritable {
    public func write(to json: inout JSONOutput) {
        switch self {
        case .some(let value): value.write(to: &json)
        case .none: json.null()
        }
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to json: inout JSONOutput) {
        json.beginArray()
        for element in self { element.write(to: &json) }
        json.endArray()
    }
}

/// Keys in the order `JSONEncoder`'s `.sortedKeys` gives: by their UTF-8 bytes.
extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func write(to json: inout JSONOutput) {
        json.beginObject()
        for key in keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            json.member(key, self[key]!)
        }
        json.endObject()
    }
}

extension JSONValue: JSONWritable {
    public func write(to json: inout JSONOutput) {
        switch self {
        case .null: json.null()
        case .bool(let value): json.bool(value)
        case .int(let value): json.integer(value)
        case .double(let value): json.double(value)
        case .string(let value): json.string(value)
        case .array(let elements): elements.write(to: &json)
        case .object(let members): members.write(to: &json)
        }
    }
}

/// A string enum of the spec: its raw value.
extension JSONWritable where Self: RawRepresentable, RawValue == String {
    public func write(to json: inout JSONOutput) { json.string(rawValue) }
}

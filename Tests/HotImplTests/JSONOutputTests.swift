import Foundation
import HotRuntime
import Testing

@Suite("JSONOutput: the bytes JSONEncoder writes, without JSONEncoder")
struct JSONOutputTests {
    static func same(_ value: some JSONWritable & Encodable) throws {
        let written = String(decoding: JSONOutput.encode(value), as: UTF8.self)
        let reference = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
        #expect(written == reference)
    }

    @Test("strings: quotes, backslashes, every control character, DEL, slashes and non-ASCII")
    func strings() throws {
        let controls = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        for text in ["", "plain", "a\"b\\c/d", controls, "\u{7F}", "é ü 中文 😀 \u{2028}\u{2029}", "\u{FEFF}x"] {
            try Self.same(text)
            try Self.same([text: text])
        }
    }

    @Test("numbers: whole doubles without .0, exponents, negative zero, the integer extremes")
    func numbers() throws {
        for value in [0.0, -0.0, 1.0, 0.1, 1.5, -2.25, 1e20, 1e21, 1e-7, 2e-5, 3e15, 1e16, 123456789.123, 12345678901234567890.0, .pi,
                      Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude] {
            try Self.same(value)
        }
        try Self.same([Int.min, Int.max, 0, -1, 9, 10, -10, 99, 100, 1_234_567_890, -987_654_321])
        try Self.same([Int32.min, Int32.max])
        try Self.same([Int64.min, Int64.max])
    }

    @Test("objects: keys in JSONEncoder's sorted order, whatever their case, digits or script; nesting; empties")
    func objects() throws {
        let keys = ["a10", "a2", "B", "a", "_", "é", "e", "Z", "aa", "A", "1", "10", "2", "ab", "aB", "😀", "ｅ", ""]
        var members: [String: JSONValue] = [:]
        for (index, key) in keys.enumerated() { members[key] = .int(Int64(index)) }
        let nested: JSONValue = .object([
            "members": .object(members), "list": .array([.null, .bool(true), .bool(false), .double(0.5), .string("x"), .array([]), .object([:])]),
            "empty": .object([:]),
        ])
        try Self.same(nested)
        try Self.same([nested, .null])
        // A bare UUID or Date writes the API's form, as the models' WireUUID and WireDate do.
        try Self.same(["k": WireUUID(UUID()), "l": WireUUID(UUID())])
        try Self.same(["when": WireDate(Date(timeIntervalSince1970: 1_705_314_600.123)), "then": WireDate(Date(timeIntervalSince1970: 0))])
        try Self.same([Optional<Int>.none, 1])
    }
}

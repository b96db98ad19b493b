import Foundation
import HotRuntime
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Data(text.utf8))
    }

    @Test("integers stay integers, exactly, across the 64-bit range")
    func integers() throws {
        #expect(try Self.parse("42") == .int(42))
        #expect(try Self.parse("0") == .int(0))
        #expect(try Self.parse("1") == .int(1))
        #expect(try Self.parse("-7") == .int(-7))
        // Beyond 2^53 a Double would round; an integer must not.
        #expect(try Self.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try Self.parse("9223372036854775807") == .int(.max))
        #expect(try Self.parse("-9223372036854775808") == .int(.min))
    }

    @Test("numbers with a fraction are doubles; integers too large for 64 bits become doubles")
    func doubles() throws {
        #expect(try Self.parse("1.5") == .double(1.5))
        #expect(try Self.parse("-0.25") == .double(-0.25))
        #expect(try Self.parse("18446744073709551616") == .double(18_446_744_073_709_551_616))
    }

    @Test("booleans, null, strings, arrays and objects parse to their cases, nested")
    func structures() throws {
        let value = try Self.parse(#"{"a":[1,2.5,null,true,"x"],"b":{"c":false},"d":"1"}"#)
        #expect(value == .object([
            "a": .array([.int(1), .double(2.5), .null, .bool(true), .string("x")]),
            "b": .object(["c": .bool(false)]),
            "d": .string("1"),
        ]))
        #expect(value["b"]?["c"] == .bool(false))
        #expect(value["d"]?.stringValue == "1")
        #expect(value["missing"] == nil)
    }

    @Test("invalid JSON throws")
    func invalid() {
        for text in ["", "{", "[1 2]", "{'a':1}", "nul", "{\"a\" 1}"] {
            #expect(throws: (any Error).self, "\(text)") { try Self.parse(text) }
        }
    }

    @Test("serialized is compact with sorted keys, and parses back to the same value")
    func serialization() throws {
        let value: JSONValue = ["b": 1, "a": ["x": [true, nil, 2.5, "s/t"]]]
        let text = String(decoding: try value.serialized(), as: UTF8.self)
        #expect(text == #"{"a":{"x":[true,null,2.5,"s/t"]},"b":1}"#)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test("typeName names the JSON type")
    func typeNames() {
        #expect(JSONValue.int(1).typeName == "integer")
        #expect(JSONValue.double(1.5).typeName == "number")
        #expect(JSONValue.string("").typeName == "string")
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.bool(true).typeName == "boolean")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.object([:]).typeName == "object")
    }
}

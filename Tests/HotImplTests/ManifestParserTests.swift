import Foundation
import Testing

@testable import HotImpl

@Suite("ManifestParser")
struct ManifestParserTests {
    func parseError(_ source: String, parser: ManifestParser = ManifestParser()) -> String? {
        do {
            _ = try parser.parse(Data(source.utf8))
            return nil
        } catch let error as BundleError {
            return error.message
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    @Test func parsesDataLiterals() throws {
        let source = """
            {
              a: 1,
              "b c": [1, 2.5, -3, "x",],
              d: {e: true, f: false, g: null,},
              declared-by: -9223372036854775808,
              $x_1: [],
              "": {},
            }
            """
        let value = try ManifestParser.parse(source)
        #expect(
            value
                == .map([
                    (key: "a", value: .integer(1)),
                    (key: "b c", value: .vector([.integer(1), .decimal("2.5"), .integer(-3), .string("x")])),
                    (key: "d", value: .map([(key: "e", value: .bool(true)), (key: "f", value: .bool(false)), (key: "g", value: .null)])),
                    (key: "declared-by", value: .integer(Int64.min)),
                    (key: "$x_1", value: .vector([])),
                    (key: "", value: .map([])),
                ]))
        #expect(
            value.jsonText()
                == #"{"a":1,"b c":[1,2.5,-3,"x"],"d":{"e":true,"f":false,"g":null},"declared-by":-9223372036854775808,"$x_1":[],"":{}}"#)
        #expect(value["d"]?["e"] == .bool(true))
    }

    @Test func keyOrderIsPreserved() throws {
        let value = try ManifestParser.parse("{z: 1, a: 2, m: 3}")
        #expect(value.jsonText() == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test func stringEscapes() throws {
        let value = try ManifestParser.parse(#"["a\nb\rc\td\"e\\f", "bell\#u{7}raw", "é ✓ 🎉"]"#)
        #expect(value == .vector([.string("a\nb\rc\td\"e\\f"), .string("bell\u{7}raw"), .string("é ✓ 🎉")]))
        let json = value.jsonText()
        #expect(json == #"["a\nb\rc\td\"e\\f","bell\u0007raw","é ✓ 🎉"]"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
        #expect(decoded == ["a\nb\rc\td\"e\\f", "bell\u{7}raw", "é ✓ 🎉"])
    }

    @Test func trailingCommasAndWhitespace() throws {
        #expect(try ManifestParser.parse("[1,]") == .vector([.integer(1)]))
        #expect(try ManifestParser.parse("{a: 1,}") == .map([(key: "a", value: .integer(1))]))
        #expect(try ManifestParser.parse(" \r\n\t[\r\n 1 ,\t2 ,\n]\r\n ") == .vector([.integer(1), .integer(2)]))
        #expect(try ManifestParser.parse("[]") == .vector([]))
        #expect(try ManifestParser.parse("{}") == .map([]))
    }

    @Test func numbersBecomeValidJSON() throws {
        let value = try ManifestParser.parse("[007, 007.50, -00.5, 1e10, 2.5E-3, 0]")
        #expect(value == .vector([.integer(7), .decimal("7.50"), .decimal("-0.5"), .decimal("1e10"), .decimal("2.5E-3"), .integer(0)]))
        let decoded = try JSONSerialization.jsonObject(with: Data(value.jsonText().utf8)) as? [Double]
        #expect(decoded == [7, 7.5, -0.5, 1e10, 0.0025, 0])
    }

    @Test func byteConstructorsAreData() throws {
        #expect(try ManifestParser.parse("[Byte(7), Bytes([0, 128, 255]), Bytes([])]")
            == .vector([.integer(7), .vector([.integer(0), .integer(128), .integer(255)]), .vector([])]))
    }

    @Test(arguments: [
        ("{\n  a: 1\n  b: 2\n}", "manifest.hot:3:3: expected ',' or '}', found 'b'"),
        (#"{"a": "x\u0041"}"#, #"manifest.hot:1:9: unsupported escape '\u' in string (allowed: \n \r \t \" \\)"#),
        ("{\n \"a\": \"unterminated\n}", "manifest.hot:2:7: unterminated string"),
        ("{a: secret}", "manifest.hot:1:5: 'secret' is not allowed: a manifest holds only data literals (maps, vectors, strings, numbers, true, false, null)"),
        ("{a: fn () { 1 }}", "manifest.hot:1:5: 'fn' is not allowed"),
        ("{a: ::hot::fs/read-file}", "manifest.hot:1:5: expected a value, found ':'"),
        ("{a: 1} x", "manifest.hot:1:8: unexpected 'x' after the manifest value"),
        ("{a: 9223372036854775808}", "manifest.hot:1:5: integer 9223372036854775808 does not fit in 64 bits"),
        ("// comment\n{}", "manifest.hot:1:1: expected a value, found '/'"),
        ("{a: 1, # comment\n}", "manifest.hot:1:8: expected a map key (a string or an identifier), found '#'"),
        ("{a: 1, a: 2}", "manifest.hot:1:8: duplicate map key \"a\""),
        ("[1 2]", "manifest.hot:1:4: expected ',' or ']', found '2'"),
        ("", "manifest.hot:1:1: unexpected end of manifest, expected a value"),
        ("{a: 1,, }", "manifest.hot:1:7: expected a map key (a string or an identifier), found ','"),
        ("[1.]", "manifest.hot:1:4: invalid decimal: expected a digit after '.'"),
        ("{a: 01x}", "manifest.hot:1:7: invalid number: unexpected 'x'"),
        ("{\"é\": tru}", "manifest.hot:1:7: 'tru' is not allowed"),
        ("{a: `x ${y}`}", "manifest.hot:1:5: template strings are not allowed in a manifest"),
        ("[Bytes([300])]", "manifest.hot:1:9: byte values must be integers between 0 and 255"),
        ("{a 1}", "manifest.hot:1:4: expected ':' after map key, found '1'"),
        ("[1,\n  [2,\n   {x: [}]]]", "manifest.hot:3:9: expected a value, found '}'"),
        ("[tap(\"x\")]", "manifest.hot:1:2: 'tap' is not allowed"),
        ("{a: 1", "manifest.hot:1:6: expected ',' or '}', found end of manifest"),
        ("[\"a\u{1}\", x]", "manifest.hot:1:8: 'x' is not allowed"),
    ])
    func errorsCarryLineAndColumn(source: String, expected: String) {
        let message = parseError(source)
        #expect(message?.hasPrefix(expected) == true, "got: \(message ?? "no error")")
    }

    @Test func invalidUTF8IsPositioned() {
        do {
            _ = try ManifestParser.parse(Data([0x7B, 0x0A, 0x20, 0xFF, 0x7D]))
            Issue.record("invalid UTF-8 was accepted")
        } catch let error as BundleError {
            #expect(error.message == "manifest.hot:2:2: manifest is not valid UTF-8")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(ok) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(parseError(tooDeep) == "manifest.hot:1:65: nesting is deeper than the limit of 64 levels")
        let mapsDeep = String(repeating: "{a:\n", count: 10_000)
        #expect(parseError(mapsDeep) == "manifest.hot:65:1: nesting is deeper than the limit of 64 levels")
        let veryDeep = String(repeating: "[", count: 100_000)
        #expect(parseError(veryDeep) == "manifest.hot:1:65: nesting is deeper than the limit of 64 levels")
    }

    @Test func valueCountLimit() throws {
        let parser = ManifestParser(maxValues: 10)
        #expect(parseError("[1,2,3,4,5,6,7,8,9]", parser: parser) == nil)
        #expect(parseError("[1,2,3,4,5,6,7,8,9,10]", parser: parser) == "manifest.hot:1:20: manifest has more than 10 values")
        let many = "[" + String(repeating: "0,", count: 100_000) + "]"
        #expect(parseError(many)?.hasSuffix("manifest has more than 100000 values") == true)
    }

    @Test func sizeLimit() throws {
        let big = "\"" + String(repeating: "x", count: 1 << 20) + "\""
        #expect(parseError(big) == "manifest.hot:1:1: manifest is 1048578 bytes, more than the limit of 1048576 bytes")
        #expect(parseError(big, parser: ManifestParser(maxBytes: 2 << 20)) == nil)
    }
}

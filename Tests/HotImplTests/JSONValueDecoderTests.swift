import Foundation
import HotRuntime
import Testing

@Suite("JSONValue decoder")
struct JSONValueDecoderTests {
    struct Inner: Codable, Equatable {
        var flag: Bool
        var ratio: Double?
    }

    struct Model: Codable, Equatable {
        var name: String
        var count: Int
        var small: UInt8?
        var tags: [String]
        var inner: Inner
        var nested: [[Int]]
        var map: [String: Inner]
        var data: JSONValue
        var id: WireUUID
        var when: WireDate
        var missing: String?
        var explicitNull: Int?
    }

    let text = #"""
        {"name":"a/b","count":3,"small":7,"tags":["x","y"],"inner":{"flag":true,"ratio":2},
         "nested":[[1,2],[],[3]],"map":{"k":{"flag":false}},"data":{"any":[1,2.5,null,"s",{"d":true}]},
         "id":"0190B7E4-1C6F-7A5E-9C4B-3D2E1F0A9B8C","when":"2024-05-01T10:00:00.250Z","explicitNull":null}
        """#

    @Test("decodes what JSONDecoder decodes from the same text")
    func sameAsJSONDecoder() throws {
        let value = try JSONValue.parse(Data(text.utf8))
        let direct = try JSONDecoder().decode(Model.self, from: Data(text.utf8))
        #expect(try JSONValueDecoder.decode(Model.self, from: value) == direct)
        #expect(direct.inner.ratio == 2)
        #expect(direct.id.value.uuidString == "0190B7E4-1C6F-7A5E-9C4B-3D2E1F0A9B8C")
    }

    @Test("mismatches, missing keys and numbers out of range are DecodingErrors naming the path")
    func errors() throws {
        func failure(_ json: String) throws -> DecodingError? {
            let value = try JSONValue.parse(Data(json.utf8))
            do {
                _ = try JSONValueDecoder.decode(Inner.self, from: value)
                return nil
            } catch let error as DecodingError {
                return error
            }
        }
        guard case .typeMismatch(_, let context)? = try failure(#"{"flag":"yes"}"#) else { Issue.record("no type mismatch"); return }
        #expect(context.codingPath.map(\.stringValue) == ["flag"])
        guard case .keyNotFound(let key, _)? = try failure(#"{"ratio":1}"#) else { Issue.record("no missing key"); return }
        #expect(key.stringValue == "flag")
        guard case .valueNotFound? = try failure(#"{"flag":null}"#) else { Issue.record("null accepted for Bool"); return }
        let value = try JSONValue.parse(Data(#"{"v":300}"#.utf8))
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode([String: UInt8].self, from: value) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode([String: Int].self, from: try JSONValue.parse(Data(#"{"v":1.5}"#.utf8))) }
    }
}

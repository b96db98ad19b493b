import Foundation
import HotRuntime
import Testing

@testable import HotImpl

/// A tool's `input_schema`, compiled into the API's own validation rules (docs/calls.md).
@Suite("Tool input schemas")
struct ToolSchemaTests {
    func problems(_ schema: String, _ value: String) throws -> [String] {
        let rule = try ToolSchema.rule(try JSONValue.parse(Data(schema.utf8)))
        return SchemaValidator(registry: [:]).issues(try JSONValue.parse(Data(value.utf8)), against: rule).map(\.description)
    }

    func refusal(_ schema: String) -> String? {
        do {
            _ = try ToolSchema.rule(try JSONValue.parse(Data(schema.utf8)))
            return nil
        } catch let error as ToolSchema.Unsupported {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    static let schema = """
        {"type": "object", "title": "Query", "properties": {
           "city": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[A-Z]", "description": "City"},
           "days": {"type": "integer", "minimum": 1, "maximum": 7},
           "ratio": {"type": ["number", "null"], "maximum": 1.5},
           "units": {"type": "string", "enum": ["metric", "imperial"]},
           "id": {"type": "string", "format": "uuid"},
           "email": {"type": "string", "format": "email"},
           "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
           "flags": {"type": "object", "additionalProperties": {"type": "boolean"}}},
         "required": ["city"], "additionalProperties": false}
        """

    @Test("what fits passes; each keyword refuses what breaks it, naming the field")
    func checks() throws {
        #expect(try problems(Self.schema, #"{"city": "Oslo", "days": 3, "ratio": null, "units": "metric", "tags": ["a"], "flags": {"x": true}, "email": "not checked"}"#) == [])
        #expect(try problems(Self.schema, #"{}"#) == ["city: is required"])
        #expect(try problems(Self.schema, #"{"city": ""}"#) == ["city: must not be empty"])
        #expect(try problems(Self.schema, #"{"city": "oslo"}"#) == ["city: must match the pattern ^[A-Z]"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "days": 8}"#) == ["days: must be at most 7"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "days": 1.5}"#) == ["days: must be an integer, not number"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "ratio": 2}"#) == ["ratio: must be at most 1.5"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "units": "si"}"#) == ["units: 'si' is not one of metric, imperial"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "id": "x"}"#) == ["id: must be a UUID"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "tags": ["a", "b", "c"]}"#) == ["tags: must have at most 2 items"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "tags": [1]}"#) == ["tags[0]: must be a string, not integer"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "flags": {"x": 1}}"#) == ["flags.x: must be a boolean, not integer"])
        #expect(try problems(Self.schema, #"{"city": "Oslo", "other": 1}"#) == ["other: is not a known field"])
        #expect(try problems(Self.schema, #"[]"#) == ["must be an object, not array"])
        #expect(try problems(#"{"type": "object"}"#, #"{"anything": [1, {"x": null}]}"#) == [])
    }

    @Test("a keyword that cannot be enforced is refused, by name and place", arguments: [
        (#"{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}"#, "input_schema.properties.a uses 'oneOf' without a type"),
        (#"{"type": "object", "properties": {"a": {"type": "string", "const": "x"}}}"#, "input_schema.properties.a uses 'const'"),
        (#"{"type": "object", "properties": {"n": {"type": "number", "multipleOf": 2}}}"#, "uses 'multipleOf'"),
        (##"{"type": "object", "$ref": "#/x"}"##, "input_schema uses '$ref'"),
        (#"{"type": "array"}"#, "input_schema must have type \"object\""),
        (#"{"type": "object", "properties": {"a": {"type": "strin"}}}"#, "'strin' is not a JSON Schema type"),
        (#"{"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}"#, "is not a regular expression"),
        (#"{"type": "object", "properties": {"a": {"type": "string", "enum": [1, 2]}}}"#, "enum must be a non-empty array of strings"),
        (#"{"type": "object", "properties": {"a": false}}"#, "the schema false"),
    ])
    func refused(_ schema: String, _ expected: String) {
        let message = refusal(schema)
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }

    @Test("an upload's tool with a schema the server cannot enforce is refused, naming the tool")
    func upload() throws {
        let text = #"{"hot.bundle.app": {mcp_tools: {"svc": [{name: "t", fn: "::a/b", input_schema: {type: "object", anyOf: []}}]}}}"#
        do {
            _ = try BundleManifest.contents(from: try ManifestParser().parse(Data(text.utf8)))
            Issue.record("accepted")
        } catch let error as BundleError {
            #expect(error.message.contains("mcp_tools \"svc\" tool 't'"))
            #expect(error.message.contains("anyOf"))
        }
    }
}

import Foundation
import HotRuntime
import Testing

@Suite("SchemaValidator")
struct SchemaValidatorTests {
    static let project = SchemaRule.object(ObjectRule(
        properties: [
            ("name", .string(StringRule(minLength: 1, maxLength: 10, pattern: "^[a-z][a-z0-9-]*$"))),
            ("id", .string(StringRule(format: .uuid))),
            ("created_at", .string(StringRule(format: .dateTime))),
            ("kind", .string(StringRule(allowedValues: ["web", "worker"]))),
            ("replicas", .integer(minimum: 1, maximum: 5)),
            ("ratio", .number(minimum: 0, maximum: 1)),
            ("active", .boolean),
            ("tags", .array(items: .plainString, minItems: 1, maxItems: 3)),
            ("owner", .nullable(.ref("Owner"))),
            ("metadata", .any),
        ],
        required: ["name", "kind"],
        additional: .forbidden
    ))
    static let owner = SchemaRule.object(ObjectRule(
        properties: [("email", .string(StringRule(minLength: 3)))],
        required: ["email"],
        additional: .allowed
    ))
    static let validator = SchemaValidator(registry: ["Project": project, "Owner": owner])

    /// The fields reported for `value` against `Project`.
    static func fields(_ value: JSONValue) -> [String] {
        validator.issues(value, against: .ref("Project")).map(\.field)
    }

    static let valid: [String: JSONValue] = [
        "name": "my-app",
        "id": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
        "created_at": "2024-01-15T10:30:00Z",
        "kind": "web",
        "replicas": 3,
        "ratio": 0.5,
        "active": true,
        "tags": ["a", "b"],
        "owner": ["email": "a@b.c", "extra": 1],
        "metadata": ["anything": [1, "two", nil]],
    ]

    static func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        var members = valid
        members[key] = value
        return .object(members)
    }

    @Test("a conforming value has no issues and validate does not throw")
    func conforming() throws {
        #expect(Self.fields(.object(Self.valid)).isEmpty)
        #expect(Self.fields(["name": "x", "kind": "worker"]).isEmpty)
        try Self.validator.validate(.object(Self.valid), against: .ref("Project"))
    }

    @Test("a missing required field is reported by name")
    func required() throws {
        let issues = Self.validator.issues(Self.with("kind", nil), against: .ref("Project"))
        #expect(issues.map(\.field) == ["kind"])
        #expect(issues.map(\.message) == ["is required"])
        #expect(Self.fields(["tags": []]).prefix(2) == ["name", "kind"])
    }

    @Test("a value of the wrong type is reported with its field", arguments: [
        ("name", JSONValue.int(1)), ("replicas", "3"), ("replicas", 2.5), ("ratio", "half"), ("active", 1),
        ("tags", "a"), ("owner", "someone"), ("kind", nil),
    ] as [(String, JSONValue)])
    func typeMismatch(field: String, value: JSONValue) {
        #expect(Self.fields(Self.with(field, value)) == [field])
    }

    @Test("the empty schema accepts any value")
    func anyValue() {
        for value: JSONValue in [nil, 1, 2.5, "x", [[["deep": true]]], ["k": []]] {
            #expect(Self.fields(Self.with("metadata", value)).isEmpty)
        }
    }

    @Test("an integer written as a whole double is accepted")
    func wholeDouble() {
        #expect(Self.fields(Self.with("replicas", 2.0)).isEmpty)
    }

    @Test("enum values outside the list are refused")
    func enumValues() {
        let issues = Self.validator.issues(Self.with("kind", "cron"), against: .ref("Project"))
        #expect(issues.map(\.field) == ["kind"])
        #expect(issues.first?.message == "'cron' is not one of web, worker")
    }

    @Test("minLength and maxLength bound a string's length")
    func lengths() {
        #expect(Self.fields(Self.with("name", "")) == ["name"])
        #expect(Self.fields(Self.with("name", "abcdefghij")).isEmpty)
        #expect(Self.fields(Self.with("name", "abcdefghijk")) == ["name"])
        // Length counts characters, not bytes.
        #expect(Self.validator.issues("éé", against: .string(StringRule(maxLength: 2))).isEmpty)
    }

    @Test("pattern is checked as an unanchored regular expression")
    func pattern() {
        #expect(Self.fields(Self.with("name", "My-App")) == ["name"])
        #expect(Self.fields(Self.with("name", "my app")) == ["name"])
        #expect(Self.validator.issues("xxabcxx", against: .string(StringRule(pattern: "abc"))).isEmpty)
        #expect(!Self.validator.issues("xxabxx", against: .string(StringRule(pattern: "abc"))).isEmpty)
    }

    @Test("format uuid and date-time are enforced")
    func formats() {
        #expect(Self.fields(Self.with("id", "not-a-uuid")) == ["id"])
        #expect(Self.fields(Self.with("id", "0190a1b2c3d47e5f8a6b7c8d9e0f1a2b")) == ["id"])
        #expect(Self.fields(Self.with("created_at", "2024-01-15")) == ["created_at"])
        #expect(Self.fields(Self.with("created_at", "2024-01-15T10:30:00+02:00")).isEmpty)
    }

    @Test("with additionalProperties false an unknown field is reported by name")
    func additionalForbidden() {
        let issues = Self.validator.issues(Self.with("colour", "red"), against: .ref("Project"))
        #expect(issues.map(\.field) == ["colour"])
        #expect(issues.map(\.message) == ["is not a known field"])
    }

    @Test("additionalProperties as a schema checks each extra member")
    func additionalSchema() {
        let map = SchemaRule.object(ObjectRule(additional: .schema(.array(items: .plainString))))
        #expect(Self.validator.issues(["a": ["x"], "b": []], against: map).isEmpty)
        #expect(Self.validator.issues(["a": ["x"], "b": [1]], against: map).map(\.field) == ["b[0]"])
    }

    @Test("propertyNames checks every key and names the object and the key; the values are still checked")
    func propertyNames() throws {
        let map = SchemaRule.object(ObjectRule(
            additional: .schema(.array(items: .plainString, minItems: 1)),
            propertyNames: StringRule(pattern: "^[a-z]+:.+$")))
        #expect(Self.validator.issues(["stream:*": ["read"], "event:user:*": ["create"]], against: map, at: "permissions").isEmpty)
        let issues = Self.validator.issues(["": ["read"], "no-colon": ["read"], "stream:*": []], against: map, at: "permissions")
        #expect(issues.map(\.field) == ["permissions", "permissions", "permissions.stream:*"])
        #expect(issues.map(\.message) == [
            "key '' must match the pattern ^[a-z]+:.+$", "key 'no-colon' must match the pattern ^[a-z]+:.+$",
            "must have at least 1 item",
        ])
        let error = try #require(throws: APIError.self) {
            try Self.validator.validate(["no-colon": ["read"]], against: map, at: "permissions")
        }
        #expect(error.message == "Invalid field 'permissions': key 'no-colon' must match the pattern ^[a-z]+:.+$")
        // Length bounds apply to keys as to strings.
        let short = SchemaRule.object(ObjectRule(propertyNames: StringRule(minLength: 1, maxLength: 3)))
        #expect(Self.validator.issues(["abcd": 1, "": 2, "ab": 3], against: short).map(\.message) == [
            "key '' must not be empty", "key 'abcd' must be at most 3 characters",
        ])
    }

    @Test("patternProperties checks the values of the keys each pattern matches; additionalProperties only the rest")
    func patternProperties() {
        let map = SchemaRule.object(ObjectRule(
            additional: .schema(.array(items: .plainString)),
            patternProperties: [("^mcp:", .array(items: .string(StringRule(allowedValues: ["execute"])))),
                                ("^m", .array(items: .plainString, minItems: 1))]))
        #expect(Self.validator.issues(["mcp:x": ["execute"], "stream:*": ["read"]], against: map).isEmpty)
        // Both patterns apply to "mcp:x"; "stream:*" falls to additionalProperties.
        #expect(Self.validator.issues(["mcp:x": ["read"], "stream:*": [1]], against: map).map(\.description) == [
            "mcp:x[0]: 'read' is not one of execute", "stream:*[0]: must be a string, not integer",
        ])
        #expect(Self.validator.issues(["mx": []], against: map).map(\.description) == ["mx: must have at least 1 item"])
    }

    @Test("a checked schema answers with its check's message, whole, before its keywords")
    func checked() throws {
        let check = SchemaCheck(name: "even") { value in value == 1 ? "Odd value: 1 is not even" : nil }
        let rule = SchemaRule.checked(check, .integer(maximum: 0))
        #expect(Self.validator.issues(2, against: rule, at: "n").map(\.description) == ["n: must be at most 0"])
        let error = try #require(throws: APIError.self) { try Self.validator.validate(1, against: rule, at: "n") }
        #expect(error.message == "Odd value: 1 is not even")
    }

    @Test("nullable accepts null and otherwise checks the inner schema")
    func nullable() {
        #expect(Self.fields(Self.with("owner", nil)).isEmpty)
        #expect(Self.validator.issues(nil, against: .plainString).map(\.message) == ["must be a string, not null"])
        #expect(Self.validator.issues(nil, against: .null).isEmpty)
        #expect(Self.validator.issues(1, against: .null).count == 1)
    }

    @Test("$ref resolves through the registry and reports nested paths")
    func refs() {
        #expect(Self.fields(Self.with("owner", ["extra": 1])) == ["owner.email"])
        #expect(Self.fields(Self.with("owner", ["email": "ab"])) == ["owner.email"])
        #expect(Self.validator.issues(1, against: .ref("Nope")).map(\.message) == ["schema Nope is unknown"])
    }

    @Test("integer minimum and maximum are inclusive bounds")
    func integerBounds() {
        #expect(Self.fields(Self.with("replicas", 0)) == ["replicas"])
        #expect(Self.fields(Self.with("replicas", 1)).isEmpty)
        #expect(Self.fields(Self.with("replicas", 5)).isEmpty)
        #expect(Self.fields(Self.with("replicas", 6)) == ["replicas"])
        #expect(Self.fields(Self.with("ratio", 1.5)) == ["ratio"])
        #expect(Self.fields(Self.with("ratio", -0.1)) == ["ratio"])
    }

    @Test("array items are checked with their index in the path; item counts are bounded")
    func arrays() {
        #expect(Self.fields(Self.with("tags", ["a", 2, "c"])) == ["tags[1]"])
        #expect(Self.fields(Self.with("tags", [])) == ["tags"])
        #expect(Self.fields(Self.with("tags", ["a", "b", "c", "d"])) == ["tags"])
        let nested = SchemaRule.array(items: .object(ObjectRule(properties: [("n", .integer())], required: ["n"])))
        #expect(Self.validator.issues([["n": 1], ["n": "x"], [:]], against: nested, at: "items").map(\.field) == ["items[1].n", "items[2].n"])
    }

    @Test("every issue is reported, not only the first")
    func allIssues() {
        let value: JSONValue = ["name": "", "kind": "cron", "replicas": 0, "zzz": 1]
        #expect(Self.fields(value) == ["name", "kind", "replicas", "zzz"])
    }

    @Test("validate throws 400 bad_request naming the first field")
    func validateThrows() throws {
        let error = try #require(throws: APIError.self) {
            try Self.validator.validate(Self.with("replicas", 9), against: .ref("Project"))
        }
        #expect(error.status == .badRequest)
        #expect(error.code == "bad_request")
        #expect(error.message.contains("'replicas'"))
    }
}

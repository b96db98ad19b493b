import HotImpl
import Testing

@Suite("PermissionsArgument")
struct PermissionsArgumentTests {
    @Test("a JSON map of URN to actions parses as given")
    func valid() throws {
        let map = try PermissionsArgument.parse(#"{"*:*":["*"],"project:alpha":["read","update"],"event:user:*":["create"]}"#)
        #expect(map == ["*:*": ["*"], "project:alpha": ["read", "update"], "event:user:*": ["create"]])
    }

    @Test("maps the API would refuse are refused too, naming the problem")
    func validatedLikeTheAPI() {
        #expect(throws: PermissionsArgument.Invalid.self) { try PermissionsArgument.parse(#"{"event:user:*":["publish"]}"#) }
        do {
            _ = try PermissionsArgument.parse(#"{"mcp:*":["create"]}"#)
            Issue.record("accepted an action invalid for the type")
        } catch {
            #expect("\(error)".contains("mcp:*"))
        }
    }

    @Test("text that is not a JSON object of string arrays is refused", arguments: [
        "", "not json", "{", #"["project:*"]"#, #"{"project:*":"read"}"#, #"{"project:*":[1]}"#, "null",
    ])
    func invalidJSON(text: String) {
        #expect(throws: PermissionsArgument.Invalid.self) { try PermissionsArgument.parse(text) }
    }

    @Test("an empty map is refused")
    func emptyMap() throws {
        let error = try #require(throws: PermissionsArgument.Invalid.self) { try PermissionsArgument.parse("{}") }
        #expect(error.description.contains("at least one"))
    }

    @Test("an empty action list is refused, naming the resource")
    func emptyActions() throws {
        let error = try #require(throws: PermissionsArgument.Invalid.self) {
            try PermissionsArgument.parse(#"{"project:alpha":["read"],"project:beta":[]}"#)
        }
        #expect(error.description.contains("project:beta"))
    }

    @Test("a resource without a colon is refused, naming it")
    func noColon() throws {
        let error = try #require(throws: PermissionsArgument.Invalid.self) { try PermissionsArgument.parse(#"{"projects":["read"]}"#) }
        #expect(error.description.contains("projects"))
    }
}

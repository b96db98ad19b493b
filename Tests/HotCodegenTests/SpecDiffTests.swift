import Foundation
import Testing

@testable import HotCodegen

@Suite("Spec diff: breaking changes between two versions of the spec")
struct SpecDiffTests {
    /// Widgets, in the project's conventions: `Colour` is used by a query parameter and a request
    /// body (requests) and by `Widget` (responses); `WidgetList` reaches `Widget` through `$ref`s.
    static let base = """
        openapi: 3.1.0
        info:
          title: Widgets
          version: 1.0.0
        paths:
          /status:
            get:
              operationId: getStatus
              x-hot-credentials: []
              responses:
                '200':
                  description: Up.
                  content:
                    application/json:
                      schema: {type: object, required: [ok], properties: {ok: {type: boolean}}}
          /v1/widgets:
            get:
              operationId: listWidgets
              x-hot-credentials: [api_key, session]
              x-hot-permission: {resource: "widget:*", action: read, mode: filter}
              parameters:
              - {name: colour, in: query, schema: {$ref: '#/components/schemas/Colour'}}
              responses:
                '200':
                  description: The widgets.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/WidgetList'}
                '401': {description: No credential.}
            post:
              operationId: createWidget
              x-hot-credentials: [api_key]
              x-hot-permission: {resource: "widget:{body.name}", action: create}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [name]
                      properties:
                        name: {type: string}
                        colour: {$ref: '#/components/schemas/Colour'}
                        note: {type: string}
              responses:
                '201':
                  description: Created.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Widget'}
          /v1/widgets/{widget_id}:
            delete:
              operationId: deleteWidget
              x-hot-credentials: [api_key]
              x-hot-permission: {resource: "widget:*", action: delete}
              parameters:
              - {name: widget_id, in: path, required: true, schema: {type: string, format: uuid}}
              responses:
                '204': {description: Deleted.}
                '404': {description: No such widget.}
        components:
          schemas:
            Colour: {type: string, enum: [red, green]}
            Widget:
              type: object
              required: [widget_id, name, colour]
              properties:
                widget_id: {type: string, format: uuid}
                name: {type: string}
                colour: {$ref: '#/components/schemas/Colour'}
                size: {type: integer}
                stopped_at: {type: string, format: date-time}
            WidgetList:
              type: object
              required: [data]
              properties:
                data: {type: array, items: {$ref: '#/components/schemas/Widget'}}
        """

    /// `base` with each `(old, new)` text replaced (each must occur, or the test would test nothing).
    static func edited(_ edits: [(String, String)], in spec: String = base) throws -> String {
        var spec = spec
        for (old, new) in edits {
            try #require(spec.contains(old), "fixture has no \(old)")
            spec = spec.replacingOccurrences(of: old, with: new)
        }
        return spec
    }

    static func changes(_ old: String, _ new: String) throws -> [SpecChange] {
        SpecDiff.changes(old: try SpecParser.parse(yaml: old), new: try SpecParser.parse(yaml: new))
    }

    static func breaking(_ edits: [(String, String)]) throws -> [String] {
        try changes(base, try edited(edits)).filter(\.isBreaking).map(\.identity)
    }

    static func compatible(_ edits: [(String, String)]) throws -> [String] {
        try changes(base, try edited(edits)).filter { !$0.isBreaking }.map(\.identity)
    }

    @Test("identical specs give no change and no output")
    func identical() throws {
        #expect(try Self.changes(Self.base, Self.base).isEmpty)
        #expect(try DiffCommand.evaluate(oldYAML: Self.base, newYAML: Self.base, all: true) == .init(status: 0))
    }

    @Test("an operation removed is breaking; one added is not")
    func operationRemovedOrAdded() throws {
        let withoutDelete = try Self.edited([
            ("        '404': {description: No such widget.}\n", ""),
            ("delete:\n      operationId: deleteWidget", "get:\n      operationId: getWidget"),
        ])
        let changes = try Self.changes(Self.base, withoutDelete)
        #expect(changes.filter(\.isBreaking).map(\.identity) == ["deleteWidget: operation removed (DELETE /v1/widgets/{widget_id})"])
        #expect(changes.filter { !$0.isBreaking }.map(\.identity) == ["getWidget: operation added (GET /v1/widgets/{widget_id})"])
    }

    @Test("renaming a path parameter is no change; renaming an operationId is breaking")
    func renames() throws {
        #expect(try Self.changes(Self.base, try Self.edited([("widget_id}", "id}"), ("name: widget_id, in: path", "name: id, in: path")])).isEmpty)
        #expect(try Self.breaking([("operationId: deleteWidget", "operationId: removeWidget")]) == ["deleteWidget: operationId renamed to removeWidget"])
    }

    @Test("a response field removed, found through two $refs, is reported once under its component with every place that reaches it")
    func responseFieldRemovedThroughRefs() throws {
        let changes = try Self.changes(Self.base, try Self.edited([("        size: {type: integer}\n", "")]))
        #expect(changes.map(\.identity) == ["Widget: size removed"])
        #expect(changes.first?.isBreaking == true)
        #expect(changes.first?.via == ["createWidget response 201", "listWidgets response 200"])
        #expect(changes.first?.line == "Widget: size removed — via createWidget response 201, listWidgets response 200")
    }

    @Test("a response field no longer required, or now nullable, is breaking")
    func responseFieldWeakened() throws {
        #expect(try Self.breaking([("required: [widget_id, name, colour]", "required: [widget_id, colour]")]) == ["Widget: name no longer always present"])
        #expect(try Self.breaking([("name: {type: string}\n        colour", "name: {type: [string, 'null']}\n        colour")]) == ["Widget: name may now be null"])
    }

    @Test("a request field newly required, or added as required, is breaking; an optional one added is not")
    func requestFieldRequired() throws {
        #expect(try Self.breaking([("required: [name]", "required: [name, note]")]) == ["createWidget request body: note newly required"])
        let added = [("required: [name]\n", "required: [name, shape]\n"), ("note: {type: string}\n", "note: {type: string}\n                shape: {type: string}\n")]
        #expect(try Self.breaking(added) == ["createWidget request body: shape added as required"])
        let optional = [("note: {type: string}\n", "note: {type: string}\n                shape: {type: string}\n")]
        #expect(try Self.breaking(optional).isEmpty)
        #expect(try Self.compatible(optional) == ["createWidget request body: shape added"])
    }

    @Test("a request field removed is breaking where the object takes no other properties")
    func requestFieldRemoved() throws {
        #expect(try Self.breaking([("                note: {type: string}\n", "")]) == ["createWidget request body: note removed"])
        let open = try Self.edited([("              additionalProperties: false\n", "")])
        let changes = try Self.changes(open, try Self.edited([("                note: {type: string}\n", "")], in: open))
        #expect(changes.map(\.identity) == ["createWidget request body: note removed"])
        #expect(changes.first?.isBreaking == false)
    }

    @Test("a parameter newly required, added as required, or removed is breaking; an optional one added is not")
    func parameters() throws {
        #expect(try Self.breaking([("{name: colour, in: query,", "{name: colour, in: query, required: true,")]) == ["listWidgets: query parameter colour newly required"])
        let extra = "- {name: colour, in: query, schema: {$ref: '#/components/schemas/Colour'}}\n"
        #expect(try Self.breaking([(extra, extra + "      - {name: limit, in: query, required: true, schema: {type: integer}}\n")])
            == ["listWidgets: query parameter limit added as required"])
        #expect(try Self.breaking([(extra, extra + "      - {name: limit, in: query, schema: {type: integer}}\n")]).isEmpty)
        #expect(try Self.breaking([("      parameters:\n      " + extra, "")]) == ["listWidgets: query parameter colour removed"])
    }

    @Test("an enum value removed is breaking in requests and responses alike, reached through $refs")
    func enumNarrowed() throws {
        let changes = try Self.changes(Self.base, try Self.edited([("enum: [red, green]", "enum: [red]")]))
        #expect(changes.map(\.identity) == ["Colour: enum value green removed"])
        #expect(changes.first?.isBreaking == true)
        #expect(changes.first?.via == [
            "createWidget request body", "createWidget response 201", "listWidgets query parameter colour", "listWidgets response 200",
        ])
    }

    @Test("an enum value added breaks responses (clients built from OLD refuse it) but not requests")
    func enumWidened() throws {
        let changes = try Self.changes(Self.base, try Self.edited([("enum: [red, green]", "enum: [red, green, blue]")]))
        let breaking = try #require(changes.first { $0.isBreaking })
        #expect(breaking.identity == "Colour: enum value blue added")
        #expect(breaking.via == ["createWidget response 201", "listWidgets response 200"])
        let compatible = try #require(changes.first { !$0.isBreaking })
        #expect(compatible.via == ["createWidget request body", "listWidgets query parameter colour"])
        #expect(changes.count == 2)
    }

    @Test("a type or format changed is breaking, inline or in a component")
    func typeChanged() throws {
        #expect(try Self.breaking([("size: {type: integer}", "size: {type: string}")]) == ["Widget: size type changed from integer to string"])
        #expect(try Self.breaking([("stopped_at: {type: string, format: date-time}", "stopped_at: {type: string}")])
            == ["Widget: stopped_at type changed from string(date-time) to string"])
        #expect(try Self.breaking([("properties: {ok: {type: boolean}}", "properties: {ok: {type: string}}")])
            == ["getStatus response 200: ok type changed from boolean to string"])
        #expect(try Self.breaking([("data: {type: array, items:", "data: {type: object, additionalProperties:")])
            == ["WidgetList: data type changed from array to object"])
    }

    @Test("a status code removed from an operation's responses is breaking; one added is not")
    func statusRemoved() throws {
        #expect(try Self.breaking([("        '404': {description: No such widget.}\n", "")]) == ["deleteWidget: response 404 removed"])
        let added = [("'204': {description: Deleted.}", "'204': {description: Deleted.}\n        '409': {description: Busy.}")]
        #expect(try Self.breaking(added).isEmpty)
        #expect(try Self.compatible(added) == ["deleteWidget: response 409 added"])
    }

    @Test("a permission tightened is breaking: another action, a new requirement, a public operation needing auth, a credential kind dropped")
    func permissionTightened() throws {
        #expect(try Self.breaking([("action: read, mode: filter", "action: write, mode: filter")])
            == ["listWidgets: now needs permission write on widget:* (was: read on widget:*)"])
        #expect(try Self.breaking([("x-hot-credentials: []", "x-hot-credentials: [api_key]\n      x-hot-permission: none")])
            == ["getStatus: now needs authentication (api_key)"])
        #expect(try Self.breaking([("x-hot-credentials: [api_key, session]", "x-hot-credentials: [api_key]")])
            == ["listWidgets: no longer accepts session credentials"])
        #expect(try Self.breaking([("{resource: \"widget:*\", action: read, mode: filter}", "{resource: \"widget:*\", action: read}")])
            == ["listWidgets: permission read on widget:* now checked, no longer a filter"])
        let loosened = [("x-hot-permission: {resource: \"widget:*\", action: delete}", "x-hot-permission: none")]
        #expect(try Self.breaking(loosened).isEmpty)
        #expect(try Self.compatible(loosened) == ["deleteWidget: no longer needs permission delete on widget:*"])
    }

    // MARK: The command and declarations

    static let removal = [("        size: {type: integer}\n", "")]

    static func changelog(_ version: String, _ breaking: [String]) -> [(String, String)] {
        let list = breaking.map { "\n    - '\($0)'" }.joined()
        return [("  version: 1.0.0\n", "  version: \(version)\n  x-hot-changelog:\n  - version: '\(version)'\n    breaking:\(list)\n")]
    }

    @Test("an undeclared breaking change fails with the line and a changelog entry to paste")
    func undeclaredFails() throws {
        let outcome = try DiffCommand.evaluate(oldYAML: Self.base, newYAML: try Self.edited(Self.removal))
        #expect(outcome.status == 1)
        #expect(outcome.output == ["breaking: Widget: size removed — via createWidget response 201, listWidgets response 200"])
        #expect(outcome.errors.contains("  - version: '1.1.0'"))
        #expect(outcome.errors.contains("    - 'Widget: size removed'"))
    }

    @Test("a breaking change declared in the changelog entry of a raised version passes")
    func declaredPasses() throws {
        let new = try Self.edited(Self.removal + Self.changelog("1.1.0", ["Widget: size removed"]))
        let outcome = try DiffCommand.evaluate(oldYAML: Self.base, newYAML: new)
        #expect(outcome == .init(status: 0, output: ["declared: Widget: size removed — via createWidget response 201, listWidgets response 200"]))
    }

    @Test("a declaration counts only for a raised version, and only for the changes it names")
    func declarationsThatDoNotCount() throws {
        // The version was not raised: the entry is an old one.
        let sameVersion = try Self.edited(Self.removal + Self.changelog("1.0.0", ["Widget: size removed"]))
        #expect(try DiffCommand.evaluate(oldYAML: Self.base, newYAML: sameVersion).status == 1)
        // The entry is for another version than info.version.
        var otherEntry = try Self.edited(Self.removal + Self.changelog("1.2.0", ["Widget: size removed"]))
        otherEntry = otherEntry.replacingOccurrences(of: "  version: 1.2.0\n", with: "  version: 1.1.0\n")
        #expect(try DiffCommand.evaluate(oldYAML: Self.base, newYAML: otherEntry).status == 1)
        // The entry names another change; it is also warned about.
        let wrongName = try Self.edited(Self.removal + Self.changelog("1.1.0", ["Widget: name removed"]))
        let outcome = try DiffCommand.evaluate(oldYAML: Self.base, newYAML: wrongName)
        #expect(outcome.status == 1)
        #expect(outcome.errors.first == "warning: info.x-hot-changelog 1.1.0 declares a breaking change that is not in the diff: Widget: name removed")
    }

    @Test("--all lists compatible changes, which never fail")
    func allListsCompatible() throws {
        let new = try Self.edited([("'204': {description: Deleted.}", "'204': {description: Deleted.}\n        '409': {description: Busy.}")])
        #expect(try DiffCommand.evaluate(oldYAML: Self.base, newYAML: new) == .init(status: 0))
        #expect(try DiffCommand.evaluate(oldYAML: Self.base, newYAML: new, all: true) == .init(status: 0, output: ["compatible: deleteWidget: response 409 added"]))
    }

    @Test("the command reads two files; bad usage and unreadable specs exit 2")
    func command() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("specdiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let old = directory.appendingPathComponent("old.yaml")
        let new = directory.appendingPathComponent("new.yaml")
        try Self.base.write(to: old, atomically: true, encoding: .utf8)
        try Self.edited(Self.removal).write(to: new, atomically: true, encoding: .utf8)
        #expect(DiffCommand.run([old.path, old.path]) == .init(status: 0))
        #expect(DiffCommand.run([old.path, new.path]).status == 1)
        #expect(DiffCommand.run(["--all", old.path, new.path]).output.count == 1)
        #expect(DiffCommand.run([old.path]).status == 2)
        #expect(DiffCommand.run([old.path, directory.appendingPathComponent("missing.yaml").path]).status == 2)
        try "openapi: [".write(to: new, atomically: true, encoding: .utf8)
        #expect(DiffCommand.run([old.path, new.path]).status == 2)
    }
}

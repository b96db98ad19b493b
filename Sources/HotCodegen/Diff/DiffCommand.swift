import Foundation
import OpenAPIKit

/// `HotCodegen diff [--all] OLD.yaml NEW.yaml`: prints the breaking changes from OLD to NEW and
/// exits 1 when one of them is not declared in NEW's `info.x-hot-changelog` (see `SpecChangelog`);
/// 0 otherwise, 2 on bad usage or an unreadable spec.
///
/// Output lines: `breaking: …` (undeclared), `declared: …` (breaking, declared), and with `--all`
/// `compatible: …`. The text after the prefix, up to ` — via`, is the change's identity.
enum DiffCommand {
    struct Outcome: Equatable {
        var status: Int32
        var output: [String] = []
        var errors: [String] = []
    }

    static let usage = "usage: HotCodegen diff [--all] <OLD openapi.yaml> <NEW openapi.yaml>"

    static func run(_ arguments: [String]) -> Outcome {
        let all = arguments.contains("--all")
        let files = arguments.filter { $0 != "--all" }
        guard files.count == 2, !files.contains(where: { $0.hasPrefix("-") }) else {
            return Outcome(status: 2, errors: [usage])
        }
        do {
            let oldYAML = try String(contentsOfFile: files[0], encoding: .utf8)
            let newYAML = try String(contentsOfFile: files[1], encoding: .utf8)
            return try evaluate(oldYAML: oldYAML, newYAML: newYAML, all: all)
        } catch {
            return Outcome(status: 2, errors: ["error: \(error)"])
        }
    }

    static func evaluate(oldYAML: String, newYAML: String, all: Bool = false) throws -> Outcome {
        let old = try SpecParser.parse(yaml: oldYAML)
        let new = try SpecParser.parse(yaml: newYAML)
        let changes = SpecDiff.changes(old: old, new: new)
        let oldVersion = old.info.version
        let newVersion = new.info.version
        let raised = SpecChangelog.isVersion(newVersion, laterThan: oldVersion)
        // An entry declares only for a version OLD did not have yet: a later unannounced change
        // cannot hide behind an old entry.
        let changelog = try SpecChangelog(new)
        let entry = raised ? changelog.entry(for: newVersion) : nil
        let declared = Set(entry?.breaking ?? [])

        var outcome = Outcome(status: 0)
        var undeclared: [SpecChange] = []
        for change in changes where change.isBreaking {
            if declared.contains(change.identity) {
                outcome.output.append("declared: \(change.line)")
            } else {
                outcome.output.append("breaking: \(change.line)")
                undeclared.append(change)
            }
        }
        if all {
            outcome.output += changes.filter { !$0.isBreaking }.map { "compatible: \($0.line)" }
        }
        let identities = Set(changes.filter(\.isBreaking).map(\.identity))
        for name in entry?.breaking ?? [] where !identities.contains(name) {
            outcome.errors.append("warning: info.x-hot-changelog \(newVersion) declares a breaking change that is not in the diff: \(name)")
        }
        guard !undeclared.isEmpty else { return outcome }

        outcome.status = 1
        let version = raised ? newVersion : SpecChangelog.nextMinor(after: oldVersion)
        var advice = ["\(undeclared.count) undeclared breaking change(s)."]
        if !raised {
            advice.append("To declare them, raise info.version above \(oldVersion) (e.g. to \(version)) and list them under that version in info.x-hot-changelog:")
        } else {
            advice.append("To declare them, list them under \(newVersion) in info.x-hot-changelog:")
        }
        advice.append("  - version: '\(version)'")
        advice.append("    breaking:")
        for change in undeclared {
            advice.append("    - '\(change.identity.replacingOccurrences(of: "'", with: "''"))'")
        }
        outcome.errors += advice
        return outcome
    }
}

import Foundation
import Generated
import HotRuntime
import Testing

@Suite("Spec examples")
struct SpecExampleTests {
    @Test("every documented example of an implemented operation replays as documented")
    func replayEveryExample() async throws {
        var replayed = 0
        var notImplemented = Set<String>()
        var notReproducible: [String: [String]] = [:]
        var implemented = Set<String>()
        for example in SpecExamples.all {
            if ProcessInfo.processInfo.environment["HOT_TEST_TRACE"] != nil {
                FileHandle.standardError.write(Data("replaying \(example.operationId)/\(example.name) at \(Date().timeIntervalSince1970)\n".utf8))
            }
            let (outcome, problems) = try await ExampleReplay(example: example).run()
            for problem in problems { Issue.record(Comment(rawValue: problem)) }
            switch outcome {
            case .replayed:
                replayed += 1
                // Authentication and validation answer before the handler; success decides "implemented".
                if example.status < 300 { implemented.insert(example.operationId) }
            case .notImplemented:
                notImplemented.insert(example.operationId)
            case .notReproducible(let reason):
                notReproducible[reason, default: []].append("\(example.operationId)/\(example.name)")
            }
        }
        // An operation is implemented or not, never both.
        #expect(implemented.isDisjoint(with: notImplemented), "operations answering 501 for some examples only: \(implemented.intersection(notImplemented).sorted())")
        // Every operation has examples, and each was classified.
        let operations = Set(OperationTable.all.map(\.operationId))
        #expect(Set(SpecExamples.all.map(\.operationId)) == operations)
        // Pinned: no operation answers 501, and only these examples are skipped (a new skip is a
        // regression).
        #expect(notImplemented.isEmpty)
        #expect(implemented == operations.subtracting(notImplemented))
        let skippable: Set<String> = [
            "createSession/session_limit_exceeded",
        ]
        let skippedNow = Set(notReproducible.values.joined())
        #expect(skippedNow.isSubset(of: skippable), "newly skipped: \(skippedNow.subtracting(skippable).sorted())")
        let skipped = notReproducible.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.sorted().joined(separator: " "))" }.joined(separator: "; ")
        print("""
            Spec examples: \(SpecExamples.all.count) documented, \(replayed) replayed \
            (\(implemented.count) operations); \(notImplemented.count) operations skipped as not implemented \
            (\(notImplemented.sorted().joined(separator: ", "))); not reproducible generically: \(skipped)
            """)
    }
}

/// One difference between two versions of the spec, as `HotCodegen diff` prints it.
///
/// `subject` names where it is: an operation (`deleteWidget`), a place inside one
/// (`createWidget request body`, `listWidgets query parameter colour`, `getWidget response 200`),
/// or a component schema (`Widget`) when the change was found by following a `$ref`.
/// `identity` (`subject: detail`) is what a changelog entry names to declare the change.
struct SpecChange: Hashable, Comparable {
    var subject: String
    var detail: String
    var isBreaking: Bool
    /// For a change inside a component schema: the operation places that reach it
    /// (`getWidget response 200`, `createWidget request body`), sorted.
    var via: [String] = []

    var identity: String { "\(subject): \(detail)" }

    /// `identity`, then where a component change is reached from (the first few places).
    var line: String {
        guard !via.isEmpty else { return identity }
        let shown = via.prefix(Self.viaShown).joined(separator: ", ")
        let more = via.count > Self.viaShown ? " and \(via.count - Self.viaShown) more" : ""
        return "\(identity) — via \(shown)\(more)"
    }

    static let viaShown = 4

    static func < (lhs: SpecChange, rhs: SpecChange) -> Bool {
        (lhs.subject, lhs.detail) < (rhs.subject, rhs.detail)
    }
}

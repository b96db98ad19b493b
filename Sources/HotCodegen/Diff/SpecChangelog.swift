import OpenAPIKit

/// `info.x-hot-changelog`: one entry per version of the spec, newest first. An entry's `breaking`
/// list declares the breaking changes that version makes, each as `HotCodegen diff` names it
/// (`subject: detail`):
///
/// ```yaml
/// info:
///   version: 1.1.0
///   x-hot-changelog:
///   - version: 1.1.0
///     summary: Widgets lose their size.
///     breaking:
///     - 'Widget: size removed'
/// ```
struct SpecChangelog {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Entry {
        var version: String
        var breaking: [String]
    }

    var entries: [Entry]

    init(_ document: OpenAPI.Document) throws {
        guard let raw = document.info.vendorExtensions["x-hot-changelog"]?.value else {
            entries = []
            return
        }
        guard let list = raw as? [Any] else { throw Failure(description: "info.x-hot-changelog must be a list of {version, summary, breaking}") }
        entries = try list.map { item in
            guard let map = item as? [String: Any], let version = map["version"] as? String else {
                throw Failure(description: "each info.x-hot-changelog entry needs a version (a quoted string, e.g. '1.1.0')")
            }
            let breaking = map["breaking"] ?? [Any]()
            guard let names = breaking as? [Any], names.allSatisfy({ $0 is String }) else {
                throw Failure(description: "info.x-hot-changelog \(version): breaking must be a list of strings")
            }
            return Entry(version: version, breaking: names.compactMap { $0 as? String })
        }
    }

    func entry(for version: String) -> Entry? {
        entries.first { $0.version == version }
    }

    /// Dotted numeric versions compared number by number (`1.10.0` > `1.9.0`); a suffix after `-`
    /// or `+` is ignored.
    static func isVersion(_ version: String, laterThan other: String) -> Bool {
        func numbers(_ text: String) -> [Int] {
            let core = text.split(whereSeparator: { $0 == "-" || $0 == "+" }).first.map(String.init) ?? text
            return core.split(separator: ".").map { Int($0) ?? 0 }
        }
        let (a, b) = (numbers(version), numbers(other))
        for index in 0..<max(a.count, b.count) {
            let (x, y) = (index < a.count ? a[index] : 0, index < b.count ? b[index] : 0)
            if x != y { return x > y }
        }
        return false
    }

    /// `1.4.2` → `1.5.0`: what to suggest when a version must be raised.
    static func nextMinor(after version: String) -> String {
        let parts = version.split(separator: ".").map { Int($0) ?? 0 }
        return "\(parts.first ?? 0).\((parts.count > 1 ? parts[1] : 0) + 1).0"
    }
}

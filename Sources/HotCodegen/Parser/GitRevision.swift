import Foundation

/// The commit a checkout is at, read from its `.git` directory without running git: HEAD, then
/// the loose ref it names, then `packed-refs`.
enum GitRevision {
    static func read(gitDirectory: URL) -> String? {
        // A file that cannot be read is a revision not known: nil, and the build says "unknown".
        guard let head = try? String(contentsOf: gitDirectory.appendingPathComponent("HEAD"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        guard head.hasPrefix("ref: ") else { return isSHA(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        if let loose = try? String(contentsOf: gitDirectory.appendingPathComponent(ref), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), isSHA(loose) {
            return loose
        }
        let packed = (try? String(contentsOf: gitDirectory.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
        for line in packed.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[1] == ref, isSHA(String(fields[0])) { return String(fields[0]) }
        }
        return nil
    }

    static func isSHA(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy(\.isHexDigit)
    }
}

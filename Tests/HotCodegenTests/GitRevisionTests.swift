import Foundation
import Testing

@testable import HotCodegen

@Suite("GitRevision")
struct GitRevisionTests {
    func gitDirectory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString)")
        for (path, contents) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return directory
    }

    let sha = "0123456789abcdef0123456789abcdef01234567"

    @Test("a loose ref is read through HEAD")
    func looseRef() throws {
        let git = try gitDirectory(["HEAD": "ref: refs/heads/main\n", "refs/heads/main": sha + "\n"])
        #expect(GitRevision.read(gitDirectory: git) == sha)
    }

    @Test("a packed ref is found when no loose ref exists")
    func packedRef() throws {
        let git = try gitDirectory(["HEAD": "ref: refs/heads/main\n", "packed-refs": "# pack-refs\n\(sha) refs/heads/main\n"])
        #expect(GitRevision.read(gitDirectory: git) == sha)
    }

    @Test("a detached HEAD is the commit itself; no git directory is nil")
    func detachedAndMissing() throws {
        #expect(GitRevision.read(gitDirectory: try gitDirectory(["HEAD": sha])) == sha)
        #expect(GitRevision.read(gitDirectory: URL(fileURLWithPath: "/nonexistent-\(UUID())")) == nil)
    }
}

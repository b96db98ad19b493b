import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct PGBinaries: Sendable {
    var directory: String
    var initdb: String
    var postgres: String
    var psql: String

    static func discover(configured: URL?, clusterVersion: String?, dataDirectory: String) async throws -> PGBinaries {
        if let configured {
            let directory = PGPaths.absolute(configured)
            guard let found = PGBinaries(directory: directory) else {
                throw LocalClusterError.binariesNotFound(searched: [directory])
            }
            // A version that cannot be read is not a mismatch: starting it will say what is wrong.
            if let clusterVersion, case .success(let version) = await found.majorVersion(), version != clusterVersion {
                throw LocalClusterError.versionMismatch(
                    dataDirectory: dataDirectory, clusterVersion: clusterVersion, found: ["\(directory) (PostgreSQL \(version))"])
            }
            return found
        }

        var searched: [String] = []
        var candidates: [PGBinaries] = []
        var seen = Set<String>()
        func consider(_ directory: String) {
            guard seen.insert(directory).inserted else { return }
            searched.append(directory)
            if let found = PGBinaries(directory: directory) { candidates.append(found) }
        }
        // `postgres` on PATH (symlinks resolved: Debian-style links point into the versioned bin directory).
        for directory in PGPaths.searchPath() {
            let postgres = directory + "/postgres"
            guard access(postgres, X_OK) == 0 else { continue }
            consider(URL(fileURLWithPath: PGPaths.resolved(postgres)).deletingLastPathComponent().path)
        }
        // Versioned installation directories, highest version first.
        for pattern in [
            ("/usr/lib/postgresql", "", "/bin"), ("/usr", "pgsql-", "/bin"),
            ("/opt/homebrew/opt", "postgresql@", "/bin"), ("/usr/local/opt", "postgresql@", "/bin"),
        ] {
            // Most of these do not exist on a given machine: none found there is the answer.
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: pattern.0)) ?? []
            let versions = entries.compactMap { entry -> (String, [Int])? in
                guard entry.hasPrefix(pattern.1) else { return nil }
                let version = entry.dropFirst(pattern.1.count)
                let numbers = version.split(separator: ".").compactMap { Int($0) }
                guard !numbers.isEmpty else { return nil }
                return (entry, numbers)
            }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.reversed()
            for (entry, _) in versions { consider(pattern.0 + "/" + entry + pattern.2) }
        }

        guard !candidates.isEmpty else { throw LocalClusterError.binariesNotFound(searched: searched) }
        guard let clusterVersion else { return candidates[0] }
        var found: [String] = []
        for candidate in candidates {
            switch await candidate.majorVersion() {
            case .success(let version):
                if version == clusterVersion { return candidate }
                found.append("\(candidate.directory) (PostgreSQL \(version))")
            case .failure(let problem):
                found.append("\(candidate.directory) (version unknown: \(problem))")
            }
        }
        throw LocalClusterError.versionMismatch(dataDirectory: dataDirectory, clusterVersion: clusterVersion, found: found)
    }

    /// nil unless the directory holds executable initdb and postgres (psql may come from PATH).
    init?(directory: String) {
        let initdb = directory + "/initdb", postgres = directory + "/postgres"
        guard access(initdb, X_OK) == 0, access(postgres, X_OK) == 0 else { return nil }
        let psql = ([directory] + PGPaths.searchPath()).map { $0 + "/psql" }.first { access($0, X_OK) == 0 }
        guard let psql else { return nil }
        self.directory = directory
        self.initdb = initdb
        self.postgres = postgres
        self.psql = psql
    }

    /// Why `postgres -V` told no version.
    struct UnknownVersion: Error, CustomStringConvertible {
        var description: String
    }

    /// "15" from `postgres (PostgreSQL) 15.18 (Debian ...)`, or why there is none.
    func majorVersion() async -> Result<String, UnknownVersion> {
        let result: PGChildren.Result
        do {
            result = try await PGChildren.run(postgres, arguments: ["-V"], account: nil, timeout: .seconds(10))
        } catch {
            return .failure(UnknownVersion(description: "\(postgres) -V: \(error)"))
        }
        guard result.succeeded else {
            return .failure(UnknownVersion(description: "\(postgres) -V: \(result.status) \(result.stderr.prefix(200))"))
        }
        let major = result.stdout.range(of: "(PostgreSQL) ").map { result.stdout[$0.upperBound...].prefix { $0.isNumber } } ?? ""
        guard !major.isEmpty else {
            return .failure(UnknownVersion(description: "\(postgres) -V printed no version: \(result.stdout.prefix(200))"))
        }
        return .success(String(major))
    }
}

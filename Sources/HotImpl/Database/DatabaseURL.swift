import Foundation
import PostgresNIO

/// `HOT_DATABASE_URL` → a `PostgresClient` configuration.
/// Accepts `postgres[ql]://user:pass@host:port/db`, `?host=/socket/dir` for a unix socket, and
/// `?sslmode=disable|prefer|require` (default prefer, as libpq).
public enum DatabaseURL {
    public static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else {
            throw DatabaseError.badURL("expected postgres://user:pass@host:port/db")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let username = components.percentEncodedUser?.removingPercentEncoding ?? query["user"] ?? "postgres"
        let password = components.percentEncodedPassword?.removingPercentEncoding ?? query["password"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        let port = components.port ?? Int(query["port"] ?? "") ?? 5432
        // Checked before the unix socket case, which has no TLS: a typo in sslmode is an error either way.
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let mode: throw DatabaseError.badURL("unknown sslmode \(mode)")
        }
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        }
        guard let host = components.host, !host.isEmpty else { throw DatabaseError.badURL("no host") }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}

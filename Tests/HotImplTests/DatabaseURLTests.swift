import HotImpl
import PostgresNIO
import Testing

@Suite("DatabaseURL")
struct DatabaseURLTests {
    /// The TLS mode's case name (`disable`, `prefer`, `require`); PostgresNIO keeps the case internal.
    static func tlsMode(_ configuration: PostgresClient.Configuration) -> String? {
        guard let base = Mirror(reflecting: configuration.tls).children.first?.value else { return nil }
        return Mirror(reflecting: base).children.first?.label ?? String(describing: base)
    }

    @Test("host, port, user, password and database come from the URL; user and password are percent-decoded")
    func tcp() throws {
        let configuration = try DatabaseURL.configuration("postgres://alice:s%40cr%3At@db.example.com:6543/hot_prod")
        #expect(configuration.host == "db.example.com")
        #expect(configuration.port == 6543)
        #expect(configuration.unixSocketPath == nil)
        #expect(configuration.username == "alice")
        #expect(configuration.password == "s@cr:t")
        #expect(configuration.database == "hot_prod")
    }

    @Test("postgresql:// works too; port defaults to 5432, password to none, database to the user name")
    func defaults() throws {
        let configuration = try DatabaseURL.configuration("postgresql://bob@localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 5432)
        #expect(configuration.username == "bob")
        #expect(configuration.password == nil)
        #expect(configuration.database == "bob")
        #expect(Self.tlsMode(configuration) == "prefer")
    }

    @Test("?host=/dir means a unix socket at /dir/.s.PGSQL.<port>")
    func unixSocket() throws {
        let configuration = try DatabaseURL.configuration("postgres://hot@/hotdb?host=/var/run/postgresql")
        #expect(configuration.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(configuration.host == nil)
        #expect(configuration.username == "hot")
        #expect(configuration.database == "hotdb")

        let other = try DatabaseURL.configuration("postgres://hot@/hotdb?host=/tmp/pg&port=6000")
        #expect(other.unixSocketPath == "/tmp/pg/.s.PGSQL.6000")
    }

    @Test("sslmode picks the TLS mode", arguments: [
        ("disable", "disable"), ("allow", "prefer"), ("prefer", "prefer"),
        ("require", "require"), ("verify-ca", "require"), ("verify-full", "require"),
    ])
    func sslModes(mode: String, expected: String) throws {
        let configuration = try DatabaseURL.configuration("postgres://u:p@db:5432/hot?sslmode=\(mode)")
        #expect(Self.tlsMode(configuration) == expected)
    }

    @Test("a scheme other than postgres is refused", arguments: [
        "mysql://u:p@db:3306/hot", "http://db/hot", "db:5432/hot", "not a url",
    ])
    func badScheme(url: String) {
        #expect(throws: DatabaseError.self) { try DatabaseURL.configuration(url) }
    }

    @Test("a TCP URL without a host is refused")
    func noHost() {
        #expect(throws: DatabaseError.self) { try DatabaseURL.configuration("postgres:///hot") }
    }

    @Test("an unknown sslmode is refused")
    func unknownSSLMode() {
        #expect(throws: DatabaseError.self) { try DatabaseURL.configuration("postgres://u:p@db/hot?sslmode=sometimes") }
    }

    @Test("an unknown sslmode is refused for a unix socket URL too")
    func unknownSSLModeOnSocket() {
        #expect(throws: DatabaseError.self) { try DatabaseURL.configuration("postgres://u@/hot?host=/tmp&sslmode=sometimes") }
    }
}

import Foundation
import HotRuntime
import Testing

@Suite("RFC3339")
struct RFC3339Tests {
    static func date(_ text: String) throws -> Date {
        try #require(RFC3339.date(from: text), "\(text) should parse")
    }

    @Test("whole seconds are written without a fraction, in UTC with Z")
    func wholeSeconds() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_705_314_600)) == "2024-01-15T10:30:00Z")
    }

    @Test("a fraction is written as milliseconds")
    func milliseconds() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_705_314_600.5)) == "2024-01-15T10:30:00.500Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_705_314_600.007)) == "2024-01-15T10:30:00.007Z")
    }

    @Test("string → date → string is the identity for every millisecond value")
    func stringRoundTrip() throws {
        var generator = SeededGenerator(seed: 42)
        // Every millisecond of one second, then random instants over a century.
        var texts = (0..<1000).map { String(format: "2024-01-15T10:30:59.%03dZ", $0) }.map { $0.replacingOccurrences(of: ".000Z", with: "Z") }
        for _ in 0..<2000 {
            let millis = Int64.random(in: 0..<4_102_444_800_000, using: &generator)  // up to 2100
            texts.append(RFC3339.string(from: Date(timeIntervalSince1970: Double(millis) / 1000)))
        }
        for text in texts {
            #expect(RFC3339.string(from: try Self.date(text)) == text)
        }
    }

    @Test("date → string → date keeps the instant to the millisecond")
    func dateRoundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<2000 {
            let millis = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let parsed = try Self.date(RFC3339.string(from: date))
            #expect(abs(parsed.timeIntervalSince(date)) < 0.0005, "\(millis)")
        }
    }

    @Test("microsecond instants (as PostgreSQL stores them) are written truncated to their millisecond")
    func microseconds() throws {
        let base = 1_705_314_600.0
        for micros in [0, 1, 999, 1000, 122_999, 123_000, 123_456, 999_999] {
            let date = Date(timeIntervalSince1970: base + Double(micros) / 1_000_000)
            let expected = micros < 1000 ? "2024-01-15T10:30:00Z" : String(format: "2024-01-15T10:30:00.%03dZ", micros / 1000)
            #expect(RFC3339.string(from: date) == expected, "\(micros) µs")
        }
    }

    @Test("offsets are applied: the same instant written in several zones parses to one date")
    func offsets() throws {
        let utc = try Self.date("2024-01-15T10:30:00Z")
        #expect(try Self.date("2024-01-15T12:30:00+02:00") == utc)
        #expect(try Self.date("2024-01-15T05:00:00-05:30") == utc)
        #expect(try Self.date("2024-01-15T10:30:00+00:00") == utc)
        #expect(try Self.date("2024-01-15T10:30:00-00:00") == utc)
        #expect(try Self.date("2024-01-16T00:30:00+14:00") == utc)
        #expect(try Self.date("2024-01-15t10:30:00z") == utc)
        #expect(utc.timeIntervalSince1970 == 1_705_314_600)
    }

    @Test("fractions of any length are read")
    func fractions() throws {
        let base = try Self.date("2024-01-15T10:30:00Z")
        #expect(abs(try Self.date("2024-01-15T10:30:00.5Z").timeIntervalSince(base) - 0.5) < 1e-6)
        #expect(abs(try Self.date("2024-01-15T10:30:00.25+00:00").timeIntervalSince(base) - 0.25) < 1e-6)
        #expect(abs(try Self.date("2024-01-15T10:30:00.123456789Z").timeIntervalSince(base) - 0.123456789) < 1e-6)
        #expect(abs(try Self.date("2024-01-15T12:30:00.750+02:00").timeIntervalSince(base) - 0.75) < 1e-6)
    }

    @Test("dates are validated against the calendar")
    func calendar() throws {
        #expect(RFC3339.date(from: "2024-02-29T00:00:00Z") != nil)  // leap year
        #expect(RFC3339.date(from: "2023-02-29T00:00:00Z") == nil)
        #expect(RFC3339.date(from: "2024-04-31T00:00:00Z") == nil)
        #expect(RFC3339.date(from: "2024-02-30T00:00:00Z") == nil)
    }

    @Test("malformed timestamps are refused", arguments: [
        "",
        "2024-01-15",
        "2024-01-15T10:30:00",          // no zone
        "2024-01-15T10:30Z",            // no seconds
        "2024-01-15 10:30:00Z",
        "2024/01/15T10:30:00Z",
        "2024-1-15T10:30:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-01-15T24:00:00Z",
        "2024-01-15T10:60:00Z",
        "2024-01-15T10:30:00.Z",        // a dot without digits
        "2024-01-15T10:30:00+0200",     // offset without colon
        "2024-01-15T10:30:00+02",
        "2024-01-15T10:30:00+24:00",
        "2024-01-15T10:30:00+02:60",
        "2024-01-15T10:30:00ZZ",
        "2024-01-15T10:30:00Z ",
        "2024-01-15T10:30:00UTC",
        "x024-01-15T10:30:00Z",
    ])
    func rejectsMalformed(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }
}

import Foundation
import HotRuntime
import Testing

@Suite("RFC 3339 formatting against the calendar")
struct RFC3339FormattingTests {
    /// Foundation's Gregorian calendar as the reference, for whole seconds plus `millis`.
    func reference(seconds: Int64, millis: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? -1)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let whole = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        return whole + (millis > 0 ? ".\(pad(millis, 3))Z" : "Z")
    }

    @Test("agrees with Foundation's calendar across eight centuries, leap days and fractions of a second")
    func matchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        // 1600-01-01 to 2400-01-01.
        for _ in 0..<20_000 {
            let seconds = Int64.random(in: -11_676_096_000...13_569_465_600, using: &generator)
            // Fractions only within ±2e9 s of the epoch (1906 to 2033): farther out a Double's
            // precision is coarser than the microsecond the formatter rounds to first.
            let millis = Bool.random(using: &generator) || abs(seconds) > 2_000_000_000 ? 0 : Int.random(in: 1...999, using: &generator)
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
            #expect(RFC3339.string(from: date) == reference(seconds: seconds, millis: millis), "\(seconds).\(millis)")
        }
    }

    @Test("fixed instants: the epoch, a leap day, a fraction that a Double holds a hair short")
    func fixed() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_700_000_000.123)) == "2023-11-14T22:13:20.123Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(RFC3339.date(from: RFC3339.string(from: Date(timeIntervalSince1970: 1_234_567_890.5))) == Date(timeIntervalSince1970: 1_234_567_890.5))
    }
}

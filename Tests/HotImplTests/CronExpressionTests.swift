import Foundation
import Testing

@testable import HotImpl

@Suite("CronExpression")
struct CronExpressionTests {
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    @Test(arguments: [
        "* * * * *", "*/5 * * * *", "0 0 1 1 *", "0-59/15 0-23 1-31 1-12 0-7", "5 4 * * sun",
        "0 9 * JAN-MAR MON-FRI", "0 0 * * 7", "1,2,3 * * * *", "10/5 * * * *", "0 12 29 feb *",
        "59 23 31 12 6", "0  0\t* * *", "0 0 * jan,Jul,DEC Sat,SUN", "*/100 * * * *", "0 0 1-31/2 * 1-5/2",
    ])
    func validExpressions(text: String) throws {
        let cron = try CronExpression(text)
        #expect(cron.text == text)
    }

    @Test(arguments: [
        ("61 * * * *", "invalid cron '61 * * * *': minute 61 is out of range 0-59"),
        ("* 24 * * *", "invalid cron '* 24 * * *': hour 24 is out of range 0-23"),
        ("* * 0 * *", "invalid cron '* * 0 * *': day-of-month 0 is out of range 1-31"),
        ("* * 32 * *", "invalid cron '* * 32 * *': day-of-month 32 is out of range 1-31"),
        ("* * * 13 *", "invalid cron '* * * 13 *': month 13 is out of range 1-12"),
        ("* * * * 8", "invalid cron '* * * * 8': day-of-week 8 is out of range 0-7"),
        ("* * * *", "invalid cron '* * * *': expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
        ("* * * * * *", "invalid cron '* * * * * *': expected 5 fields (minute hour day-of-month month day-of-week), found 6"),
        ("", "invalid cron '': expected 5 fields (minute hour day-of-month month day-of-week), found 0"),
        ("*/0 * * * *", "invalid cron '*/0 * * * *': minute step 0 must be at least 1"),
        ("*/x * * * *", "invalid cron '*/x * * * *': minute step 'x' is not a number"),
        ("5-3 * * * *", "invalid cron '5-3 * * * *': minute range 5-3 has its start after its end"),
        ("* * * FOO *", "invalid cron '* * * FOO *': month value 'FOO' is not a number or a name (JAN-DEC)"),
        ("* * * * MON-SUN", "invalid cron '* * * * MON-SUN': day-of-week range MON-SUN has its start after its end"),
        ("* * * * funday", "invalid cron '* * * * funday': day-of-week value 'funday' is not a number or a name (SUN-SAT)"),
        ("1,,2 * * * *", "invalid cron '1,,2 * * * *': minute field '1,,2' has an empty list element"),
        ("a * * * *", "invalid cron 'a * * * *': minute value 'a' is not a number"),
        ("1-2-3 * * * *", "invalid cron '1-2-3 * * * *': minute range '1-2-3' is malformed"),
        ("+5 * * * *", "invalid cron '+5 * * * *': minute value '+5' is not a number"),
        ("* * * JAN *x", "invalid cron '* * * JAN *x': day-of-week value '*x' is not a number or a name (SUN-SAT)"),
        ("1/2/3 * * * *", "invalid cron '1/2/3 * * * *': minute field '1/2/3' has more than one '/'"),
        ("* * * 0 *", "invalid cron '* * * 0 *': month 0 is out of range 1-12"),
    ])
    func invalidExpressions(text: String, expected: String) {
        #expect(throws: BundleError(expected)) { try CronExpression(text) }
    }

    @Test(arguments: [
        ("*/5 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"),
        ("*/5 * * * *", "2026-01-01T00:03:30Z", "2026-01-01T00:05:00Z"),
        ("*/5 * * * *", "2026-01-01T00:04:59.500Z", "2026-01-01T00:05:00Z"),
        ("*/5 * * * *", "2026-12-31T23:58:00Z", "2027-01-01T00:00:00Z"),
        ("* * * * *", "2026-05-05T10:10:10Z", "2026-05-05T10:11:00Z"),
        ("0 9 * JAN-MAR MON-FRI", "2026-03-31T09:00:00Z", "2027-01-01T09:00:00Z"),
        ("0 9 * JAN-MAR MON-FRI", "2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"),
        ("30 8 * * sun", "2026-01-01T00:00:00Z", "2026-01-04T08:30:00Z"),
        ("0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
        ("0 0 13 * FRI", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),  // OR rule: a Friday
        ("0 0 13 * FRI", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"),  // OR rule: the 13th (a Tuesday)
        ("0 0 13 * *", "2026-01-02T00:00:00Z", "2026-01-13T00:00:00Z"),
        ("0 0 * * MON", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),
        ("0 0 */2 * MON", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),  // dom starts with '*': AND
        ("0 12 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T12:00:00Z"),
        ("0 12 29 feb *", "2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"),
        ("0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"),
        ("0 0 1 1 *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("15,45 */6 * * *", "2026-01-01T06:20:00Z", "2026-01-01T06:45:00Z"),
        ("15,45 */6 * * *", "2026-01-01T06:50:00Z", "2026-01-01T12:15:00Z"),
        ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
    ])
    func nextFiring(text: String, after: String, expected: String) throws {
        let cron = try CronExpression(text)
        #expect(cron.next(after: Self.date(after)) == Self.date(expected))
    }

    @Test func impossibleScheduleNeverFires() throws {
        #expect(try CronExpression("0 0 30 2 *").next(after: Self.date("2026-01-01T00:00:00Z")) == nil)
        #expect(try CronExpression("0 0 31 4 *").next(after: Self.date("2026-01-01T00:00:00Z")) == nil)
    }

    @Test func beforeEpochWorks() throws {
        #expect(
            try CronExpression("0 0 1 * *").next(after: Self.date("1969-12-15T00:00:00Z"))
                == Self.date("1970-01-01T00:00:00Z"))
    }
}

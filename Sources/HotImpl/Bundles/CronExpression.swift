import Foundation

/// A validated five-field cron expression (`minute hour day-of-month month day-of-week`),
/// evaluated in UTC.
///
/// Fields accept `*`, `*/n`, `a`, `a-b`, `a-b/n`, `a/n` (from `a` to the field's maximum)
/// and comma-separated lists of those; `n` must be at least 1 and `a-b` needs `a <= b`.
/// Ranges: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
/// day-of-week 0-7 (0 and 7 are Sunday) or SUN-SAT; names are case-insensitive.
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are
/// restricted (their field does not start with `*`), a day matches if either matches;
/// otherwise both must match.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression as given.
    public let text: String
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    /// Bits 0-6, Sunday = 0 (7 is folded into 0).
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { text }

    private struct Field {
        let name: String
        let min: Int
        let max: Int
        let names: [String]  // names[i] means value names-base + i
        let namesBase: Int
    }

    private static let fieldSpecs: [Field] = [
        Field(name: "minute", min: 0, max: 59, names: [], namesBase: 0),
        Field(name: "hour", min: 0, max: 23, names: [], namesBase: 0),
        Field(name: "day-of-month", min: 1, max: 31, names: [], namesBase: 0),
        Field(
            name: "month", min: 1, max: 12,
            names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
            namesBase: 1),
        Field(
            name: "day-of-week", min: 0, max: 7,
            names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], namesBase: 0),
    ]

    /// Parses and validates `text`; throws a `BundleError` naming the expression and the bad field.
    public init(_ text: String) throws {
        self.text = text
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw BundleError(
                "invalid cron '\(text)': expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        var masks: [UInt64] = []
        for (spec, field) in zip(CronExpression.fieldSpecs, fields) {
            masks.append(try CronExpression.parseField(field, spec: spec, expression: text))
        }
        minutes = masks[0]
        hours = masks[1]
        daysOfMonth = masks[2]
        months = masks[3]
        var dow = masks[4]
        if dow & (1 << 7) != 0 { dow = (dow & ~(1 << 7)) | 1 }
        daysOfWeek = dow
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static func parseField(_ field: String, spec: Field, expression: String) throws -> UInt64 {
        func fail(_ message: String) -> BundleError {
            BundleError("invalid cron '\(expression)': \(message)")
        }
        func value(_ token: Substring) throws -> Int {
            if !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(token) {
                guard number >= spec.min && number <= spec.max else {
                    throw fail("\(spec.name) \(number) is out of range \(spec.min)-\(spec.max)")
                }
                return number
            }
            if let index = spec.names.firstIndex(of: token.uppercased()) {
                return spec.namesBase + index
            }
            if token.isEmpty {
                throw fail("\(spec.name) field '\(field)' has an empty value")
            }
            let expected = spec.names.isEmpty ? "a number" : "a number or a name (\(spec.names.first!)-\(spec.names.last!))"
            throw fail("\(spec.name) value '\(token)' is not \(expected)")
        }
        var mask: UInt64 = 0
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            if part.isEmpty {
                throw fail("\(spec.name) field '\(field)' has an empty list element")
            }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else {
                throw fail("\(spec.name) field '\(field)' has more than one '/'")
            }
            var step = 1
            if pieces.count == 2 {
                guard !pieces[1].isEmpty, pieces[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(pieces[1]) else {
                    throw fail("\(spec.name) step '\(pieces[1])' is not a number")
                }
                guard n >= 1 else {
                    throw fail("\(spec.name) step \(n) must be at least 1")
                }
                // Any step past the field's range names only its start; a huge one would overflow.
                guard n <= 1000 else {
                    throw fail("\(spec.name) step \(n) is larger than 1000")
                }
                step = n
            }
            let rangeText = pieces[0]
            var low: Int
            var high: Int
            if rangeText == "*" {
                low = spec.min
                high = spec.max
            } else {
                let bounds = rangeText.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else {
                    throw fail("\(spec.name) range '\(rangeText)' is malformed")
                }
                low = try value(bounds[0])
                if bounds.count == 2 {
                    high = try value(bounds[1])
                    guard low <= high else {
                        throw fail("\(spec.name) range \(bounds[0])-\(bounds[1]) has its start after its end")
                    }
                } else {
                    high = pieces.count == 2 ? spec.max : low
                }
            }
            for v in stride(from: low, through: high, by: step) {
                mask |= 1 << UInt64(v)
            }
        }
        return mask
    }

    /// The first firing time strictly after `after` (whole minutes, UTC), or nil when the
    /// expression can never fire (e.g. `0 0 30 2 *`).
    public func next(after: Date) -> Date? {
        let seconds = after.timeIntervalSince1970
        guard seconds.isFinite else { return nil }
        let minuteNow = Int64((seconds / 60).rounded(.down))
        let start = minuteNow + 1
        var day = floorDiv(start, 1440)
        var fromMinute = Int(start - day * 1440)
        // The Gregorian calendar repeats every 400 years; day/weekday combinations repeat
        // within 28 years between century exceptions, so 30 years of days is enough.
        for _ in 0..<(366 * 30) {
            let (_, month, dayOfMonth) = CronExpression.civil(fromDays: day)
            let weekday = Int(((day % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
            if months & (1 << UInt64(month)) != 0 && dayMatches(dayOfMonth: dayOfMonth, weekday: weekday),
                let minuteOfDay = firstTime(from: fromMinute)
            {
                return Date(timeIntervalSince1970: Double((day * 1440 + Int64(minuteOfDay)) * 60))
            }
            day += 1
            fromMinute = 0
        }
        return nil
    }

    private func dayMatches(dayOfMonth: Int, weekday: Int) -> Bool {
        let domMatch = daysOfMonth & (1 << UInt64(dayOfMonth)) != 0
        let dowMatch = daysOfWeek & (1 << UInt64(weekday)) != 0
        if dayOfMonthRestricted && dayOfWeekRestricted { return domMatch || dowMatch }
        return domMatch && dowMatch
    }

    private func firstTime(from minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while hour < 24 {
            if hours & (1 << UInt64(hour)) != 0 {
                while minute < 60 {
                    if minutes & (1 << UInt64(minute)) != 0 { return hour * 60 + minute }
                    minute += 1
                }
            }
            hour += 1
            minute = 0
        }
        return nil
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Year, month (1-12) and day (1-31) of a day count since 1970-01-01 (proleptic Gregorian).
    static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, Int(m), Int(d))
    }
}

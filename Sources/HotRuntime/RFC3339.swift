import Foundation

/// RFC 3339 timestamps as the API writes them: UTC, `Z`, whole seconds unless the instant has a
/// fraction (then milliseconds). Parsing accepts any offset and any fraction.
public enum RFC3339 {
    /// Written digit by digit (every response's `meta.timestamp` goes through here): no formatter,
    /// no calendar, no `String(format:)`.
    public static func string(from date: Date) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(24)
        append(date, to: &utf8)
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The same text appended to bytes being written (a response, a log line): no string made.
    public static func append(_ date: Date, to utf8: inout [UInt8]) {
        // Whole microseconds first (PostgreSQL's precision): a Double meant to hold .123 s often
        // holds a hair less, and truncating that straight to milliseconds would write .122.
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let millis = Int((micros - seconds * 1_000_000) / 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(daysSinceEpoch: days)
        func append(_ value: Int, digits: Int) { utf8.appendDecimal(Int64(value), width: digits) }
        if year < 0 || year > 9999 {
            // Outside RFC 3339's four-digit years; not produced by anything the server stores.
            utf8.append(contentsOf: "\(year)".utf8)
        } else {
            append(Int(year), digits: 4)
        }
        utf8.append(UInt8(ascii: "-"))
        append(month, digits: 2)
        utf8.append(UInt8(ascii: "-"))
        append(day, digits: 2)
        utf8.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, digits: 2)
        utf8.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, digits: 2)
        utf8.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, digits: 2)
        if millis > 0 {
            utf8.append(UInt8(ascii: "."))
            append(millis, digits: 3)
        }
        utf8.append(UInt8(ascii: "Z"))
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func date(from string: String) -> Date? {
        // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM); 't'/'z' allowed as RFC 3339 says.
        let s = Array(string.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= s.count else { return nil }
            var value = 0
            for i in range {
                guard (48...57).contains(s[i]) else { return nil }
                value = value * 10 + Int(s[i] - 48)
            }
            return value
        }
        guard s.count >= 20,
              let year = digits(0..<4), s[4] == UInt8(ascii: "-"),
              let month = digits(5..<7), s[7] == UInt8(ascii: "-"),
              let day = digits(8..<10), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t"),
              let hour = digits(11..<13), s[13] == UInt8(ascii: ":"),
              let minute = digits(14..<16), s[16] == UInt8(ascii: ":"),
              let second = digits(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < s.count, s[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < s.count, (48...57).contains(s[index]) {
                fraction += Double(s[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < s.count else { return nil }
        var offsetSeconds = 0
        if s[index] == UInt8(ascii: "Z") || s[index] == UInt8(ascii: "z") {
            index += 1
        } else if s[index] == UInt8(ascii: "+") || s[index] == UInt8(ascii: "-") {
            guard let oh = digits(index + 1..<index + 3), s.count > index + 3, s[index + 3] == UInt8(ascii: ":"),
                  let om = digits(index + 4..<index + 6), oh < 24, om < 60 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (s[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == s.count else { return nil }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(secondsFromGMT: 0)
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, min(second, 59))
        guard components.isValidDate, let date = components.date else { return nil }
        return date.addingTimeInterval(fraction - Double(offsetSeconds))
    }
}

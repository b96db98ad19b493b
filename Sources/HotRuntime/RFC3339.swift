import Foundation

/// RFC 3339 timestamps as the API writes them: UTC, `Z`, whole seconds unless the instant has a
/// fraction (then milliseconds). Parsing accepts any offset and any fraction.
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        // Whole microseconds first (PostgreSQL's precision): a Double meant to hold .123 s often
        // holds a hair less, and truncating that straight to milliseconds would write .122.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (micros / 1_000_000).rounded(.down)
        let millis = Int((micros - seconds * 1_000_000) / 1000)
        let whole = Date(timeIntervalSince1970: seconds).formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                .timeSeparator(.colon).timeZone(separator: .omitted))
        // `whole` ends in "Z"; insert the milliseconds before it when there are any.
        guard millis > 0 else { return whole }
        return String(whole.dropLast()) + String(format: ".%03dZ", millis)
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

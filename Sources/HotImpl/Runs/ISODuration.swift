import Foundation

/// ISO 8601 durations as `time_range` takes them: `P7D`, `PT1H`, `P1W`, `P1Y2M3DT4H5M6S`. Years
/// count 365 days and months 30.
public enum ISODuration {
    /// Seconds, or nil for anything that is not a duration with at least one component.
    public static func seconds(_ text: String) -> TimeInterval? {
        var rest = Substring(text)
        guard rest.first == "P" else { return nil }
        rest = rest.dropFirst()
        var total: TimeInterval = 0
        var inTime = false
        var components = 0
        var number = ""
        // Units allowed in order, in the date part then the time part.
        var dateUnits: [Character] = ["Y", "M", "W", "D"]
        var timeUnits: [Character] = ["H", "M", "S"]
        for character in rest {
            if character.isASCII, character.isNumber {
                number.append(character)
            } else if character == "T" {
                guard !inTime, number.isEmpty else { return nil }
                inTime = true
            } else {
                guard !number.isEmpty, let value = Double(number), number.count <= 9 else { return nil }
                let unit: TimeInterval
                if inTime {
                    guard let index = timeUnits.firstIndex(of: character) else { return nil }
                    timeUnits.removeFirst(index + 1)
                    unit = ["H": 3600, "M": 60, "S": 1][character]!
                } else {
                    guard let index = dateUnits.firstIndex(of: character) else { return nil }
                    dateUnits.removeFirst(index + 1)
                    unit = ["Y": 365 * 86_400, "M": 30 * 86_400, "W": 7 * 86_400, "D": 86_400][character]!
                }
                total += value * unit
                components += 1
                number = ""
            }
        }
        guard number.isEmpty, components > 0, !(inTime && timeUnits.count == 3) else { return nil }
        return total
    }
}

import Foundation

/// The server's one JSON configuration: compact, keys sorted, slashes unescaped. Responses, live
/// stream payloads, stored `jsonb` text and runtime requests all go through these two instances
/// (Foundation's `JSONEncoder`/`JSONDecoder` are `Sendable`: their options sit behind a lock, and
/// each call encodes or decodes on its own state), so no request pays for making one.
public enum JSONCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder = JSONDecoder()
}

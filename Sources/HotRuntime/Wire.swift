import Foundation

/// A UUID on the wire: written lowercase (Foundation writes uppercase), read in either case.
/// Generated models encode their `uuid` properties through it.
public struct WireUUID: Codable, Sendable, Hashable {
    public var value: UUID
    public init(_ value: UUID) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let uuid = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a UUID: \(text)")
        }
        value = uuid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.lowercased)
    }
}

/// A `date-time` on the wire: RFC 3339 UTC. Generated models encode their dates through it.
public struct WireDate: Codable, Sendable, Hashable {
    public var value: Date
    public init(_ value: Date) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.date(from: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date-time: \(text)")
        }
        value = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(RFC3339.string(from: value))
    }
}

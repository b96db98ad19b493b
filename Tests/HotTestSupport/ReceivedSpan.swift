import Foundation

/// One span of an OTLP `ExportTraceServiceRequest` (opentelemetry-proto's trace/v1), with the
/// attributes of its resource: what `OTLPReceiver` decodes from the protobuf wire format (only
/// the fields tests read).
public struct ReceivedSpan: Sendable, CustomStringConvertible {
    /// Lowercase hex, as in `traceparent`.
    public var traceId: String
    public var spanId: String
    /// nil for a root span.
    public var parentSpanId: String?
    public var name: String
    /// 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    public var kind: Int
    /// Values as text (strings as they are, numbers and booleans printed).
    public var attributes: [String: String]
    public var resource: [String: String]
    /// 0 unset, 1 ok, 2 error.
    public var statusCode: Int

    public static let server = 2, client = 3, consumer = 5

    public var description: String {
        "\(name) [\(spanId) ← \(parentSpanId ?? "root") in \(traceId), \(resource["hot.command"] ?? "?")]"
    }

    /// The spans of an `ExportTraceServiceRequest` body.
    public static func decode(exportRequest bytes: [UInt8]) throws -> [ReceivedSpan] {
        var spans: [ReceivedSpan] = []
        for (field, resourceSpans) in try Protobuf.fields(bytes) where field.number == 1 {
            var resource: [String: String] = [:]
            var scopeSpans: [[UInt8]] = []
            for (inner, value) in try Protobuf.fields(resourceSpans.bytes) {
                if inner.number == 1 {
                    for (attribute, keyValue) in try Protobuf.fields(value.bytes) where attribute.number == 1 {
                        let (key, text) = try Self.keyValue(keyValue.bytes)
                        resource[key] = text
                    }
                } else if inner.number == 2 {
                    scopeSpans.append(value.bytes)
                }
            }
            for scope in scopeSpans {
                for (inner, span) in try Protobuf.fields(scope) where inner.number == 2 {
                    spans.append(try Self.span(span.bytes, resource: resource))
                }
            }
        }
        return spans
    }

    static func span(_ bytes: [UInt8], resource: [String: String]) throws -> ReceivedSpan {
        var span = ReceivedSpan(traceId: "", spanId: "", parentSpanId: nil, name: "", kind: 0, attributes: [:], resource: resource, statusCode: 0)
        for (field, value) in try Protobuf.fields(bytes) {
            switch field.number {
            case 1: span.traceId = Self.hex(value.bytes)
            case 2: span.spanId = Self.hex(value.bytes)
            case 4: span.parentSpanId = value.bytes.isEmpty ? nil : Self.hex(value.bytes)
            case 5: span.name = String(decoding: value.bytes, as: UTF8.self)
            case 6: span.kind = Int(value.number)
            case 9:
                let (key, text) = try Self.keyValue(value.bytes)
                span.attributes[key] = text
            case 15:
                for (inner, code) in try Protobuf.fields(value.bytes) where inner.number == 3 { span.statusCode = Int(code.number) }
            default: break
            }
        }
        return span
    }

    /// A `KeyValue`: its key, and its `AnyValue` as text.
    static func keyValue(_ bytes: [UInt8]) throws -> (String, String) {
        var key = "", text = ""
        for (field, value) in try Protobuf.fields(bytes) {
            if field.number == 1 {
                key = String(decoding: value.bytes, as: UTF8.self)
            } else if field.number == 2 {
                for (inner, any) in try Protobuf.fields(value.bytes) {
                    switch inner.number {
                    case 1: text = String(decoding: any.bytes, as: UTF8.self)
                    case 2: text = any.number == 0 ? "false" : "true"
                    case 3: text = String(Int64(bitPattern: any.number))
                    case 4: text = String(Double(bitPattern: any.number))
                    default: break
                    }
                }
            }
        }
        return (key, text)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

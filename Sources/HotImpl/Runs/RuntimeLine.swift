import Foundation
import HotRuntime

/// One line of a runtime's NDJSON answer, interpreted (docs/runtime-protocol.md).
enum RuntimeLine: Sendable, Equatable {
    /// `{"type":"data","data_type":…,"payload":…}`
    case data(RuntimeData)
    /// `{"type":"result","result":…}`
    case result(JSONValue)
    /// `{"type":"error","error":…}`
    case error(JSONValue)
    /// Anything else, with a one-line reason that never quotes the line's content beyond its `type`.
    case invalid(String)

    /// `writer` begins each reason: who sent the line ("runtime sent", "the module wrote").
    static func parse(_ bytes: [UInt8], writer: String = "runtime sent") -> RuntimeLine {
        guard let value = try? JSONValue.parse(Data(bytes)) else {
            return .invalid("\(writer) a line that is not JSON (\(bytes.count) bytes)")
        }
        guard case .object(let fields) = value else {
            return .invalid("\(writer) a JSON \(value.typeName) line where an object was expected")
        }
        guard let type = fields["type"]?.stringValue else {
            return .invalid("\(writer) a line without a string \"type\"")
        }
        switch type {
        case "data":
            guard let dataType = fields["data_type"]?.stringValue else {
                return .invalid("\(writer) a data line without a string \"data_type\"")
            }
            return .data(RuntimeData(dataType: dataType, payload: fields["payload"] ?? .null))
        case "result":
            // A JavaScript runtime returning `undefined` drops the key when serialising: a null result.
            return .result(fields["result"] ?? .null)
        case "error":
            return .error(fields["error"] ?? .string("runtime reported an error without details"))
        default:
            return .invalid("\(writer) a line of unknown type \(quoted(type))")
        }
    }

    /// A short JSON-quoted form of a runtime-supplied string, safe to put in a one-line reason.
    private static func quoted(_ text: String) -> String {
        let short = text.count > 64 ? String(text.prefix(64)) + "…" : text
        guard let data = try? JSONValue.string(short).serialized(), let quoted = String(data: data, encoding: .utf8) else {
            return "(unprintable)"
        }
        return quoted
    }
}

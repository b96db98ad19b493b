import Foundation
import OpenAPIKit

/// `x-hot-sse-events` and a feed's `text/event-stream` schema: the events it sends, typed, and the
/// frames that describe them, which must agree.
extension Translator {
    /// `x-hot-sse-events`: each entry names an event and the object component its `data` is JSON of
    /// (the type the server builds it through); one that cannot be typed is refused.
    func sseEventDecls(_ raw: Any?, at pointer: String) throws -> [SSEEventDecl] {
        guard let raw else { return [] }
        guard let list = raw as? [Any], !list.isEmpty else { throw Unsupported(description: "\(pointer): must be a non-empty list") }
        return try list.enumerated().map { index, entry in
            guard let map = entry as? [String: Any], let event = map["event"] as? String, !event.isEmpty,
                  let schema = map["schema"] as? String
            else {
                throw Unsupported(description: "\(pointer)/\(index): each entry needs event and schema")
            }
            guard let component = components.schemas[OpenAPI.ComponentKey(stringLiteral: schema)], component.isObject else {
                throw Unsupported(description: "\(pointer)/\(index)/schema: \(schema) is not an object schema of #/components/schemas")
            }
            return SSEEventDecl(event: event, schema: schema, doc: map["description"] as? String)
        }
    }

    /// A feed's `text/event-stream` schema describes one event as an SSE client parses it: a `oneOf`
    /// of frame objects, each with a one-value `event` enum and a `data` string whose
    /// `contentSchema` is the event's schema. They must be x-hot-sse-events' events, in its order.
    func checkFrames(_ schema: JSONSchema, against events: [SSEEventDecl], at pointer: String) throws {
        let alternatives: [JSONSchema]
        if case .one(let list, _) = schema.value { alternatives = list } else { alternatives = [schema] }
        let frames = try alternatives.map { alternative -> String in
            guard case .object(_, let object) = try resolved(alternative).value,
                  case .string(let core, _)? = object.properties["event"]?.value,
                  let names = core.allowedValues?.compactMap({ $0.value as? String }), names.count == 1,
                  let data = object.properties["data"],
                  let content = data.vendorExtensions["x-hot-contentSchema"]?.value as? [String: Any],
                  let reference = content["$ref"] as? String, reference.hasPrefix("#/components/schemas/")
            else {
                throw Unsupported(description: "\(pointer): each text/event-stream frame must be an object with a one-value event enum and a data string with a contentSchema $ref")
            }
            return "\(names[0]) \(reference.dropFirst("#/components/schemas/".count))"
        }
        let declared = events.map { "\($0.event) \($0.schema)" }
        guard frames == declared else {
            throw Unsupported(description: "\(pointer): the text/event-stream frames (\(frames.joined(separator: ", "))) are not x-hot-sse-events' (\(declared.joined(separator: ", ")))")
        }
    }
}

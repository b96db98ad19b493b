import HTTPTypes
import Instrumentation

// Where W3C trace context (`traceparent`, `tracestate`) is read from and written to.

/// W3C trace context in a dictionary of header names (lowercase) to values.
struct DictionaryCarrier: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key.lowercased()] = value
    }

    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }
}

/// W3C trace context in a request's header fields.
struct HTTPFieldsCarrier: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { fields[$0] }
    }
}

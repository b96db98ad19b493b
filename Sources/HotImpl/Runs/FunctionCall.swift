import HotRuntime

/// A call of one function (docs/calls.md): an event of type `hot:call` whose `event_data` is
/// `{"fn": "::ns::path/var", "args": [...]}`. Its run has `run_type` `call` and goes to the active
/// project whose deployed build declares `fn`, or carries the WebAssembly module of its namespace.
struct FunctionCall: Equatable {
    static let eventType = "hot:call"

    var ns: String
    var name: String
    var args: [JSONValue]

    /// `fn` split at its last `/`, as manifests split it.
    init(fn: String, args: [JSONValue] = []) throws(APIError) {
        guard let slash = fn.lastIndex(of: "/"), slash != fn.startIndex, fn.index(after: slash) != fn.endIndex else {
            throw APIError.badRequest("Invalid hot:call: fn '\(fn)' must be '<namespace>/<name>', e.g. ::shop::orders/refund")
        }
        ns = String(fn[..<slash])
        name = String(fn[fn.index(after: slash)...])
        self.args = args
    }

    /// The call an event's data describes; 400 when it describes none.
    init(eventData: JSONValue) throws(APIError) {
        guard case .object(let fields) = eventData, case .string(let fn)? = fields["fn"] else {
            throw APIError.badRequest("Invalid hot:call: event_data must be an object with a string fn and an args array")
        }
        switch fields["args"] {
        case nil, .null?:
            try self.init(fn: fn)
        case .array(let args)?:
            try self.init(fn: fn, args: args)
        default:
            throw APIError.badRequest("Invalid hot:call: args must be an array")
        }
    }
}

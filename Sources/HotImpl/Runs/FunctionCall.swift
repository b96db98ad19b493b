import HotRuntime

/// A call of one function (docs/calls.md): an event of type `hot:call` whose `event_data` is
/// `{"fn": "::ns::path/var", "args": [...]}`. Its run has `run_type` `call` and goes to the active
/// project whose deployed build declares `fn`, or carries the WebAssembly module of its namespace.
struct FunctionCall: Equatable {
    static let eventType = "hot:call"

    var ns: String
    var name: String

    /// `fn` split at its last `/`, as manifests split it.
    init(fn: String) throws(APIError) {
        guard let (ns, name) = BundleModules.split(fn: fn) else {
            throw APIError.badRequest("Invalid hot:call: fn '\(fn)' must be '<namespace>/<name>', e.g. ::shop::orders/refund")
        }
        self.ns = ns
        self.name = name
    }

    /// The call an event's data describes (its `args`, which the function reads from the event, must
    /// be an array when present); 400 when it describes none.
    init(eventData: JSONValue) throws(APIError) {
        guard case .object(let fields) = eventData, case .string(let fn)? = fields["fn"] else {
            throw APIError.badRequest("Invalid hot:call: event_data must be an object with a string fn and an args array")
        }
        switch fields["args"] {
        case nil, .null?, .array?:
            try self.init(fn: fn)
        default:
            throw APIError.badRequest("Invalid hot:call: args must be an array")
        }
    }
}

/// One event handler declared in a build's manifest.
public struct BundleHandler: Sendable, Equatable {
    /// The event type the handler subscribes to, e.g. `user:signup`.
    public var eventType: String
    /// Namespace part of `fn`, e.g. `::myapp::handlers`.
    public var ns: String
    /// Var part of `fn`, e.g. `on-user-signup`.
    public var `var`: String
    /// The zip entry of its WebAssembly module (docs/handlers.md); nil: the HTTP runtime runs it.
    public var module: String?
    /// JSON text of the handler's `meta` map (`{}` when absent).
    public var metaJSON: String

    public init(eventType: String, ns: String, `var`: String, metaJSON: String, module: String? = nil) {
        self.eventType = eventType
        self.ns = ns
        self.var = `var`
        self.metaJSON = metaJSON
        self.module = module
    }
}

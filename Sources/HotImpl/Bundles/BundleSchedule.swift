/// One scheduled function declared in a build's manifest.
public struct BundleSchedule: Sendable, Equatable {
    /// The (validated) five-field cron expression, as written in the manifest.
    public var cron: String
    /// Namespace part of `fn`, e.g. `::myapp::jobs`.
    public var ns: String
    /// Var part of `fn`, e.g. `nightly-report`.
    public var `var`: String
    /// The zip entry of its WebAssembly module (docs/handlers.md); nil: the HTTP runtime runs it.
    public var module: String?
    /// JSON text of the function's `meta` map (`{}` when absent).
    public var metaJSON: String

    public init(cron: String, ns: String, `var`: String, metaJSON: String, module: String? = nil) {
        self.cron = cron
        self.ns = ns
        self.var = `var`
        self.metaJSON = metaJSON
        self.module = module
    }
}

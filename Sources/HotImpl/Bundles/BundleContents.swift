/// What the server needs to know about an uploaded build zip.
public struct BundleContents: Sendable, Equatable {
    public var eventHandlers: [BundleHandler]
    public var schedules: [BundleSchedule]
    /// `mcp_tools`: the build's MCP tools, by service.
    public var tools: [BundleTool] = []
    /// `webhooks`: the build's webhooks, by service.
    public var webhooks: [BundleWebhook] = []
    /// `<name>` of the manifest's `hot.bundle.<name>` key; nil without a manifest.
    public var bundleName: String?
    /// Whether the archive contains `manifest.hot` at its root.
    public var hasManifest: Bool
    /// The WebAssembly modules the declared functions use, by zip entry name, as the archive holds
    /// them (binary for `.wasm`, text for `.wat`): checked and compiled before the build is stored.
    public var modules: [String: [UInt8]] = [:]

    public init(
        eventHandlers: [BundleHandler] = [],
        schedules: [BundleSchedule] = [],
        bundleName: String? = nil,
        hasManifest: Bool = false
    ) {
        self.eventHandlers = eventHandlers
        self.schedules = schedules
        self.bundleName = bundleName
        self.hasManifest = hasManifest
    }
}

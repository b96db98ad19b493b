import Foundation
import HotRuntime

/// One MCP tool a build's manifest declares under `mcp_tools` (docs/bundles.md).
public struct BundleTool: Sendable, Equatable {
    public var service: String
    public var name: String
    public var ns: String
    public var `var`: String
    public var description: String?
    public var title: String?
    /// JSON text of its `input_schema` (`{"type":"object"}` when absent).
    public var inputSchemaJSON: String
    public var outputSchemaJSON: String?
    public var annotationsJSON: String?
    /// `required` (the default) or `none`.
    public var authMode: String
    public var metaJSON: String
    /// The zip entry of its WebAssembly module (docs/handlers.md).
    public var module: String?
}

/// One webhook a build's manifest declares under `webhooks` (docs/bundles.md).
public struct BundleWebhook: Sendable, Equatable {
    public var service: String
    /// Starts with `/`.
    public var path: String
    /// Upper case: GET, POST, PUT, PATCH or DELETE.
    public var method: String
    public var name: String?
    public var ns: String
    public var `var`: String
    public var description: String?
    /// `none` (the default) or `required`.
    public var authMode: String
    public var metaJSON: String
    public var module: String?
}

/// Reads and checks the `mcp_tools` and `webhooks` sections of a manifest: every rule broken is the
/// bundle's error, naming the entry.
enum BundleServices {
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// Service names: 1–63 lower-case letters, digits and hyphens.
    static func isServiceName(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Tool names: 1–128 letters, digits, `_`, `-` and `.` (what MCP clients accept).
    static func isToolName(_ name: String) -> Bool {
        (1...128).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E
        }
    }

    /// Webhook paths: `/` then URL path characters (no query, fragment, `%`, space or empty, `.` or `..` segment), at most 512 bytes.
    static func isWebhookPath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.utf8.count <= 512 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/".utf8)
        guard path.utf8.allSatisfy({ allowed.contains($0) }) else { return false }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if path == "/" { return true }
        return segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func tools(in bundle: HotValue) throws -> [BundleTool] {
        var tools: [BundleTool] = []
        var seen = Set<String>()
        for (service, item) in try entries(in: bundle, key: "mcp_tools") {
            let label = "mcp_tools \"\(service)\""
            guard let name = item["name"]?.stringValue, isToolName(name) else {
                throw BundleError("manifest.hot: \(label) has a tool without a name of 1–128 letters, digits, '_', '-' or '.'")
            }
            guard seen.insert("\(service)\u{0}\(name)").inserted else {
                throw BundleError("manifest.hot: \(label) declares the tool '\(name)' twice")
            }
            let what = "\(label) tool '\(name)'"
            let (ns, fnName) = try function(item, what)
            let inputSchemaJSON = try optionalMap(item, "input_schema", what) ?? #"{"type":"object"}"#
            // Its arguments are checked against it before any run: a schema the server cannot
            // enforce whole is refused now, rather than half-checked later.
            do {
                _ = try ToolSchema.rule(try JSONValue.parse(Data(inputSchemaJSON.utf8)))
            } catch let error as ToolSchema.Unsupported {
                throw BundleError("manifest.hot: \(what): \(error.description)")
            }
            tools.append(BundleTool(
                service: service, name: name, ns: ns, var: fnName,
                description: try optionalString(item, "description", what), title: try optionalString(item, "title", what),
                inputSchemaJSON: inputSchemaJSON,
                outputSchemaJSON: try optionalMap(item, "output_schema", what), annotationsJSON: try optionalMap(item, "annotations", what),
                authMode: try authMode(item, what, default: "required"), metaJSON: try optionalMap(item, "meta", what) ?? "{}"))
        }
        return tools
    }

    static func webhooks(in bundle: HotValue) throws -> [BundleWebhook] {
        var webhooks: [BundleWebhook] = []
        var seen = Set<String>()
        for (service, item) in try entries(in: bundle, key: "webhooks") {
            let label = "webhooks \"\(service)\""
            guard let path = item["path"]?.stringValue, isWebhookPath(path) else {
                throw BundleError("manifest.hot: \(label) has a webhook without a path such as \"/stripe\" (a '/', then letters, digits "
                                  + "and -._~!$&'()*+,;=:@/, no empty, '.' or '..' segment)")
            }
            let method = (try optionalString(item, "method", "\(label) webhook '\(path)'") ?? "POST").uppercased()
            guard methods.contains(method) else {
                throw BundleError("manifest.hot: \(label) webhook '\(path)' has method '\(method)'; use GET, POST, PUT, PATCH or DELETE")
            }
            let what = "\(label) webhook \(method) '\(path)'"
            guard seen.insert("\(service)\u{0}\(path)\u{0}\(method)").inserted else {
                throw BundleError("manifest.hot: \(what) is declared twice")
            }
            let (ns, name) = try function(item, what)
            webhooks.append(BundleWebhook(
                service: service, path: path, method: method, name: try optionalString(item, "name", what), ns: ns, var: name,
                description: try optionalString(item, "description", what), authMode: try authMode(item, what, default: "none"),
                metaJSON: try optionalMap(item, "meta", what) ?? "{}"))
        }
        return webhooks
    }

    /// `(service, entry)` pairs of `{ "<service>": [ {...}, ... ] }`, services checked.
    private static func entries(in bundle: HotValue, key: String) throws -> [(String, HotValue)] {
        guard let section = bundle[key], section != .null else { return [] }
        guard case let .map(services) = section else { throw BundleError("manifest.hot: \(key) must be a map of service names") }
        var result: [(String, HotValue)] = []
        for (service, list) in services {
            guard isServiceName(service) else {
                throw BundleError("manifest.hot: \(key) service '\(service)' must be 1–63 lower-case letters, digits and hyphens")
            }
            guard case let .vector(items) = list else { throw BundleError("manifest.hot: \(key) \"\(service)\" must be a vector of maps") }
            for item in items {
                guard case .map = item else { throw BundleError("manifest.hot: \(key) \"\(service)\" has an entry that is not a map") }
                result.append((service, item))
            }
        }
        return result
    }

    private static func function(_ item: HotValue, _ what: String) throws -> (ns: String, var: String) {
        guard let fn = item["fn"]?.stringValue else { throw BundleError("manifest.hot: \(what) has no string fn") }
        guard let function = BundleModules.split(fn: fn) else {
            throw BundleError("manifest.hot: \(what) has fn '\(fn)'; it must be '<namespace>/<name>'")
        }
        return function
    }

    private static func optionalString(_ item: HotValue, _ key: String, _ what: String) throws -> String? {
        switch item[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw BundleError("manifest.hot: \(what) has a \(key) that is not a string")
        }
    }

    /// JSON text of a map value.
    private static func optionalMap(_ item: HotValue, _ key: String, _ what: String) throws -> String? {
        switch item[key] {
        case nil, .null?: return nil
        case let value? where { if case .map = value { true } else { false } }(): return value.jsonText()
        default: throw BundleError("manifest.hot: \(what) has a \(key) that is not a map")
        }
    }

    private static func authMode(_ item: HotValue, _ what: String, default fallback: String) throws -> String {
        let mode = try optionalString(item, "auth_mode", what) ?? fallback
        guard mode == "required" || mode == "none" else {
            throw BundleError("manifest.hot: \(what) has auth_mode '\(mode)'; use \"required\" or \"none\"")
        }
        return mode
    }
}

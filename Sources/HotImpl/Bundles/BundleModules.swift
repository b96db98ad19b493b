import Foundation
import HotRuntime
import HotWasm

/// Which zip entry holds the WebAssembly module of each function a bundle declares
/// (docs/handlers.md): the entry its `meta.wasm` names, else `<ns path>.wasm`, else
/// `<ns path>.wat`, where the ns `::shop::orders` has the path `shop/orders`. A function with none
/// of them has no module: the HTTP runtime runs it.
enum BundleModules {
    /// `fn` split at its last `/` into namespace and name; nil when either part would be empty.
    static func split(fn: String) -> (ns: String, var: String)? {
        guard let slash = fn.lastIndex(of: "/"), slash != fn.startIndex, fn.index(after: slash) != fn.endIndex else { return nil }
        return (String(fn[..<slash]), String(fn[fn.index(after: slash)...]))
    }

    /// `shop/orders` for `::shop::orders`.
    static func path(ofNamespace ns: String) -> String {
        ns.components(separatedBy: "::").filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// The module entry of one function, given the archive's entry names; nil when it has none.
    /// A `meta.wasm` that is not a string, or names no entry, is the bundle's error.
    static func entry(ns: String, name: String, metaJSON: String, entries: Set<String>) throws -> String? {
        if let declared = try declaredModule(metaJSON: metaJSON, fn: "\(ns)/\(name)") {
            guard entries.contains(declared) else {
                throw BundleError("manifest.hot: '\(ns)/\(name)' has meta.wasm '\(declared)', which is not an entry of the archive")
            }
            return declared
        }
        let base = path(ofNamespace: ns)
        guard !base.isEmpty else { return nil }
        for candidate in [base + ".wasm", base + ".wat"] where entries.contains(candidate) {
            return candidate
        }
        return nil
    }

    /// Sets the module of every handler, schedule, tool and webhook; returns the entries that hold modules.
    static func assign(_ contents: inout BundleContents, entries: Set<String>) throws -> Set<String> {
        var used = Set<String>()
        try assign(&contents.eventHandlers, ns: \.ns, name: \.var, meta: \.metaJSON, module: \.module, entries: entries, used: &used)
        try assign(&contents.schedules, ns: \.ns, name: \.var, meta: \.metaJSON, module: \.module, entries: entries, used: &used)
        try assign(&contents.tools, ns: \.ns, name: \.var, meta: \.metaJSON, module: \.module, entries: entries, used: &used)
        try assign(&contents.webhooks, ns: \.ns, name: \.var, meta: \.metaJSON, module: \.module, entries: entries, used: &used)
        return used
    }

    /// Sets the module of each function of one manifest section, adding the entries to `used`.
    private static func assign<Function>(
        _ functions: inout [Function], ns: KeyPath<Function, String>, name: KeyPath<Function, String>,
        meta: KeyPath<Function, String>, module: WritableKeyPath<Function, String?>, entries: Set<String>, used: inout Set<String>
    ) throws {
        for index in functions.indices {
            let function = functions[index]
            let found = try entry(ns: function[keyPath: ns], name: function[keyPath: name], metaJSON: function[keyPath: meta], entries: entries)
            functions[index][keyPath: module] = found
            if let found { used.insert(found) }
        }
    }

    /// `meta.wasm` of a function's meta map (JSON text), when present.
    private static func declaredModule(metaJSON: String, fn: String) throws -> String? {
        guard metaJSON.contains("\"wasm\"") else { return nil }
        guard case .object(let meta)? = try? JSONValue.parse(Data(metaJSON.utf8)), let value = meta["wasm"] else { return nil }
        switch value {
        case .null: return nil
        case .string(let name) where !name.isEmpty: return name
        default: throw BundleError("manifest.hot: '\(fn)' has a meta.wasm that is not the name of an archive entry")
        }
    }
}

extension BundleModules {
    /// Checks every module of `contents` as the embedded runtime would run it, compiling `.wat`
    /// entries to binary (docs/handlers.md); the first module that fails is the bundle's error,
    /// naming its entry. Synchronous and CPU-bound: call it off the event loops.
    static func check(_ contents: inout BundleContents, limits: WasmSandbox.Limits) throws {
        for name in contents.modules.keys.sorted() {
            guard let bytes = contents.modules[name] else { continue }
            do throws(WasmModuleError) {
                var binary = bytes
                if name.hasSuffix(".wat") {
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        throw WasmModuleError("is WebAssembly text that is not UTF-8")
                    }
                    binary = try WasmSandbox.compile(wat: text)
                }
                _ = try WasmSandbox.check(binary, limits: limits)
                contents.modules[name] = binary
            } catch {
                throw BundleError("zip entry '\(name)': the module \(error.message)")
            }
        }
    }
}

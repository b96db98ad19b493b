/// Interprets a parsed `manifest.hot`: `{ "hot.bundle.<name>": { event_handlers: {...},
/// scheduled_functions: {...}, ... } }`.
enum BundleManifest {
    static let bundleKeyPrefix = "hot.bundle."

    static func contents(from manifest: HotValue) throws -> BundleContents {
        guard case let .map(top) = manifest else {
            throw BundleError("manifest.hot must be a map with exactly one \"hot.bundle.<name>\" key")
        }
        guard top.count == 1, let entry = top.first, entry.key.hasPrefix(bundleKeyPrefix),
            entry.key.count > bundleKeyPrefix.count
        else {
            let keys = top.map { "\"\($0.key)\"" }.joined(separator: ", ")
            throw BundleError(
                "manifest.hot must be a map with exactly one \"hot.bundle.<name>\" key, found [\(keys)]")
        }
        let name = String(entry.key.dropFirst(bundleKeyPrefix.count))
        guard case .map = entry.value else {
            throw BundleError("manifest.hot: \"\(entry.key)\" must be a map")
        }
        var contents = BundleContents(bundleName: name, hasManifest: true)
        for (eventType, function) in try functions(in: entry.value, key: "event_handlers", label: "event handler") {
            contents.eventHandlers.append(
                BundleHandler(eventType: eventType, ns: function.ns, var: function.var, metaJSON: function.metaJSON))
        }
        for (cron, function) in try functions(in: entry.value, key: "scheduled_functions", label: "scheduled function") {
            do {
                _ = try CronExpression(cron)
            } catch let error as BundleError {
                throw BundleError("manifest.hot: scheduled function '\(function.fn)': \(error.message)")
            }
            contents.schedules.append(
                BundleSchedule(cron: cron, ns: function.ns, var: function.var, metaJSON: function.metaJSON))
        }
        contents.tools = try BundleServices.tools(in: entry.value)
        contents.webhooks = try BundleServices.webhooks(in: entry.value)
        return contents
    }

    /// `(group key, function)` pairs from `{ "<group>": [ {fn: ..., meta: ...}, ... ] }`.
    private static func functions(
        in info: HotValue, key: String, label: String
    ) throws -> [(String, (fn: String, ns: String, var: String, metaJSON: String))] {
        guard let section = info[key], section != .null else { return [] }
        guard case let .map(groups) = section else {
            throw BundleError("manifest.hot: \(key) must be a map")
        }
        var result: [(String, (fn: String, ns: String, var: String, metaJSON: String))] = []
        for (group, list) in groups {
            guard case let .vector(items) = list else {
                throw BundleError("manifest.hot: \(key) \"\(group)\" must be a vector of {fn: ...} maps")
            }
            for item in items {
                guard case .map = item, let fn = item["fn"]?.stringValue else {
                    throw BundleError("manifest.hot: \(key) \"\(group)\" has an entry without a string fn")
                }
                guard fn.contains("/") else {
                    throw BundleError("manifest.hot: \(label) fn '\(fn)' has no '/' between namespace and name")
                }
                guard let (ns, name) = BundleModules.split(fn: fn) else {
                    throw BundleError("manifest.hot: \(label) fn '\(fn)' has an empty namespace or name")
                }
                let metaJSON: String
                switch item["meta"] {
                case nil, .null?: metaJSON = "{}"
                case let meta? where { if case .map = meta { return true } else { return false } }():
                    metaJSON = meta.jsonText()
                default:
                    throw BundleError("manifest.hot: \(label) '\(fn)' has a meta that is not a map")
                }
                result.append((group, (fn: fn, ns: ns, var: name, metaJSON: metaJSON)))
            }
        }
        return result
    }
}

import Foundation

/// Parses a permission map given as JSON text (the CLI's `--permissions`).
public enum PermissionsArgument {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String) throws -> [String: [String]] {
        guard let map = try? JSONDecoder().decode([String: [String]].self, from: Data(text.utf8)) else {
            throw Invalid(description: "--permissions must be a JSON object of resource URN to action arrays, e.g. {\"*:*\":[\"*\"]}")
        }
        guard !map.isEmpty else { throw Invalid(description: "--permissions must grant at least one resource") }
        for (resource, actions) in map {
            guard resource.contains(":") else { throw Invalid(description: "invalid resource '\(resource)': use type:path") }
            guard !actions.isEmpty else { throw Invalid(description: "empty action list for '\(resource)'") }
        }
        return map
    }
}

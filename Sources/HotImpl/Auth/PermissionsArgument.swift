import Foundation
import HotRuntime

/// Parses and validates a permission map given as JSON text (the CLI's `--permissions`), by the
/// same rules as the API.
public enum PermissionsArgument {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String) throws -> [String: [String]] {
        // Whatever the decoder objects to, the answer is this message (its coding paths say less).
        guard let map = try? JSONDecoder().decode([String: [String]].self, from: Data(text.utf8)) else {
            throw Invalid(description: "--permissions must be a JSON object of resource URN to action arrays, e.g. {\"*:*\":[\"*\"]}")
        }
        guard !map.isEmpty else { throw Invalid(description: "--permissions must grant at least one resource") }
        do {
            try PermissionRules.validate(map)
        } catch let error as APIError {
            throw Invalid(description: "--permissions: \(error.message)")
        }
        return map
    }
}

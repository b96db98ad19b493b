import Foundation
import PackagePlugin

/// Runs HotCodegen on spec/openapi.yaml for the target that uses the plugin. The spec is an
/// input, so editing it regenerates; so are the git files that name the current commit, which
/// BuildInfo.swift records. The outputs are a fixed set of files.
@main
struct CodegenPlugin: BuildToolPlugin {
    static let outputNames = [
        "Models.swift", "API.swift", "Routes.swift", "Validators.swift", "Operations.swift", "Examples.swift", "BuildInfo.swift",
    ]

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let root = context.package.directoryURL
        let spec = root.appending(path: "spec").appending(path: "openapi.yaml")
        let gitDirectory = root.appending(path: ".git")
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedSources")
        var inputs = [spec]
        var arguments = [spec.path(percentEncoded: false), output.path(percentEncoded: false)]
        if FileManager.default.fileExists(atPath: gitDirectory.appending(path: "HEAD").path(percentEncoded: false)) {
            arguments.append(gitDirectory.path(percentEncoded: false))
            inputs += Self.gitInputs(gitDirectory)
        }
        return [
            .buildCommand(
                displayName: "Generating Hot API sources from spec/openapi.yaml",
                executable: try context.tool(named: "HotCodegen").url,
                arguments: arguments,
                inputFiles: inputs,
                outputFiles: Self.outputNames.map { output.appending(path: $0) }
            ),
        ]
    }

    /// HEAD, the ref it points at (when loose) and packed-refs: a commit changes one of them.
    static func gitInputs(_ gitDirectory: URL) -> [URL] {
        var files = [gitDirectory.appending(path: "HEAD")]
        if let head = try? String(contentsOf: files[0], encoding: .utf8), head.hasPrefix("ref: ") {
            let ref = gitDirectory.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines))
            if FileManager.default.fileExists(atPath: ref.path(percentEncoded: false)) { files.append(ref) }
        }
        let packed = gitDirectory.appending(path: "packed-refs")
        if FileManager.default.fileExists(atPath: packed.path(percentEncoded: false)) { files.append(packed) }
        return files
    }
}

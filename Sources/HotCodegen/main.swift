import Foundation

// HotCodegen SPEC OUTPUT_DIR [GIT_DIR]: writes the generated sources for SPEC into OUTPUT_DIR;
// GIT_DIR, when given, supplies the commit that BuildInfo.swift records.
// HotCodegen diff [--all] OLD NEW: the breaking changes between two specs (Diff/DiffCommand.swift).
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "diff" {
    let outcome = DiffCommand.run(Array(arguments.dropFirst(2)))
    for line in outcome.output { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    for line in outcome.errors { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    exit(outcome.status)
}
guard arguments.count == 3 || arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: HotCodegen <spec/openapi.yaml> <output-directory> [<.git directory>]\n".utf8))
    exit(2)
}
do {
    let yaml = try String(contentsOfFile: arguments[1], encoding: .utf8)
    let gitSHA = arguments.count == 4 ? GitRevision.read(gitDirectory: URL(fileURLWithPath: arguments[3], isDirectory: true)) : nil
    let files = try Generator.generate(yaml: yaml, gitSHA: gitSHA)
    let output = URL(fileURLWithPath: arguments[2], isDirectory: true)
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    for (name, contents) in files {
        let url = output.appendingPathComponent(name)
        // Leave unchanged files untouched so the compiler does not redo them (one that cannot be
        // read is written anew).
        if (try? String(contentsOf: url, encoding: .utf8)) == contents { continue }
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

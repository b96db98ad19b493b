/// BuildInfo.swift: facts of the build that the server reports (`GET /status`).
enum BuildInfoRenderer {
    static func render(_ api: APIDescription, gitSHA: String?, specJSON: String) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.block("public enum GeneratedBuildInfo") { w in
            w.doc("`info.version` of the spec.")
            w.line("public static let apiVersion = \(Literal.string(api.version))")
            w.doc("The commit the package was built from (\"unknown\" outside a git checkout).")
            w.line("public static let gitSHA = \(Literal.string(gitSHA ?? "unknown"))")
            w.doc("spec/openapi.yaml as JSON (`GET /openapi.json`).")
            w.line("public static let openAPIJSON = \(Literal.string(specJSON))")
        }
        return w.text
    }
}

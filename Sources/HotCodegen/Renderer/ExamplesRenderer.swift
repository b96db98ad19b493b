/// Examples.swift: every named example of the spec, for the conformance tests.
enum ExamplesRenderer {
    static func render(_ api: APIDescription) -> String {
        var w = SwiftWriter()
        w.line(SwiftWriter.header)
        w.line("import HotRuntime")
        w.line()
        w.block("public enum SpecExamples") { w in
            w.line("public static let all: [SpecExample] = [")
            for example in api.examples {
                guard let operation = api.operations.first(where: { $0.operationId == example.operationId }) else { continue }
                let parameters = example.parameters.isEmpty ? "[:]" :
                    "[" + example.parameters.sorted { $0.key < $1.key }.map { "\(Literal.string($0.key)): \(Literal.string($0.value))" }.joined(separator: ", ") + "]"
                w.line("    SpecExample(")
                w.line("        operationId: \(Literal.string(example.operationId)), name: \(Literal.string(example.name)),")
                w.line("        method: \(Literal.string(operation.method)), path: \(Literal.string(operation.path)),")
                w.line("        parameters: \(parameters),")
                w.line("        requestContentType: \(Literal.optionalString(example.requestContentType)),")
                w.line("        requestBody: \(Literal.optionalString(example.requestBody)),")
                w.line("        status: \(example.status), responseContentType: \(Literal.optionalString(example.responseContentType)),")
                w.line("        responseBody: \(Literal.optionalString(example.responseBody))")
                w.line("    ),")
            }
            w.line("]")
        }
        return w.text
    }
}

import Foundation

/// parse → translate → render: the whole generator, as one function of the spec text.
enum Generator {
    /// Output file name → contents. The plugin declares exactly these names.
    static let fileNames = ["Models.swift", "API.swift", "Routes.swift", "Validators.swift", "Operations.swift", "Examples.swift", "BuildInfo.swift"]

    static func generate(yaml: String, gitSHA: String? = nil) throws -> [String: String] {
        let document = try SpecParser.parse(yaml: yaml)
        var translator = Translator(document: document)
        let api = try translator.translate()
        return [
            "Models.swift": ModelsRenderer.render(api),
            "API.swift": APIRenderer.render(api),
            "Routes.swift": RoutesRenderer.render(api),
            "Validators.swift": ValidatorsRenderer.render(api),
            "Operations.swift": OperationsRenderer.render(api),
            "Examples.swift": ExamplesRenderer.render(api),
            "BuildInfo.swift": BuildInfoRenderer.render(api, gitSHA: gitSHA, specJSON: try SpecJSON.convert(yaml: yaml)),
        ]
    }
}

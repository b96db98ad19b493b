import Yams

/// The generator refuses what it would drop. OpenAPIKit decodes far more of OpenAPI than the
/// generator turns into code, and drops what it does not model at all; a keyword nothing reads would
/// make the spec promise what the server does not do. So before decoding, every object of the spec
/// the generator reads is checked against an allow-list of what it handles (or what is purely
/// documentary), and anything else fails generation naming its place in the spec as a JSON pointer.
enum SpecCoverage {
    typealias Unsupported = Translator.Unsupported

    /// Documentary keys: read by people and client generators, meaning nothing to the server.
    static let documentary: Set<String> = ["description", "summary", "title", "example", "examples"]

    static let root: Set<String> = ["openapi", "info", "servers", "tags", "externalDocs", "security", "paths", "components"]
    static let components: Set<String> = ["schemas", "responses", "parameters", "securitySchemes"]
    static let pathItem: Set<String> = ["get", "put", "post", "delete", "patch", "parameters", "summary", "description"]
    /// `security` is what client generators read; the server reads `x-hot-credentials` (checked to agree).
    static let operation: Set<String> = [
        "operationId", "summary", "description", "tags", "parameters", "requestBody", "responses", "security",
        "x-hot-credentials", "x-hot-permission", "x-hot-sse-events",
    ]
    /// `x-hot-rest-of-path: true` on the last path parameter: it takes the rest of the path, slashes and all.
    static let parameter: Set<String> = ["name", "in", "required", "description", "schema", "example", "x-hot-rest-of-path"]
    static let requestBody: Set<String> = ["description", "required", "content"]
    static let response: Set<String> = ["description", "content", "headers"]
    static let mediaType: Set<String> = ["schema", "examples"]
    static let header: Set<String> = ["description", "schema", "example"]
    static let example: Set<String> = ["summary", "description", "value"]

    /// Schema keywords by the type they apply to; `common` apply to every schema.
    static let commonSchema: Set<String> = ["type", "description", "title", "example", "examples", "$ref", "oneOf"]
    static let typedSchema: [String: Set<String>] = [
        "string": ["format", "enum", "minLength", "maxLength", "pattern", "contentMediaType", "contentSchema"],
        "integer": ["format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        "number": ["minimum", "maximum"],
        "boolean": [],
        "array": ["items", "minItems", "maxItems"],
        "object": ["properties", "required", "additionalProperties", "propertyNames", "patternProperties"],
        "null": [],
    ]
    /// Formats by type: what the validator checks and the models type (an `int64` is a Swift `Int`).
    static let formats: [String: Set<String>] = ["string": ["uuid", "date-time", "binary"], "integer": ["int64"]]
    /// Types a `default` is supported for: the generated parameter reading and models apply it.
    static let defaultTypes: Set<String> = ["string", "integer", "boolean"]

    /// Where a schema sits decides whether a `default` there is applied.
    enum SchemaPlace {
        /// A query parameter's schema: the route applies the default.
        case queryParameter
        /// An object property: the model's decoder applies it.
        case property
        case other
    }

    static func check(_ node: Node) throws {
        let root = try mapping(node, at: "#")
        try keys(root, allowed: Self.root, at: "#")
        if let paths = root["paths"] {
            for (key, item) in try mapping(paths, at: "#/paths") {
                try checkPathItem(item, at: "#/paths/" + escape(key.string ?? ""))
            }
        }
        guard let componentsNode = root["components"] else { return }
        let components = try mapping(componentsNode, at: "#/components")
        try keys(components, allowed: Self.components, at: "#/components")
        for (key, schema) in try named(components["schemas"], at: "#/components/schemas") {
            try checkSchema(schema, at: "#/components/schemas/\(escape(key))", place: .other)
        }
        for (key, value) in try named(components["responses"], at: "#/components/responses") {
            try checkResponse(value, at: "#/components/responses/\(escape(key))")
        }
        for (key, value) in try named(components["parameters"], at: "#/components/parameters") {
            try checkParameter(value, at: "#/components/parameters/\(escape(key))")
        }
    }

    // MARK: Objects of the document

    private static func checkPathItem(_ node: Node, at path: String) throws {
        let item = try mapping(node, at: path)
        try keys(item, allowed: pathItem, at: path)
        for (key, value) in item {
            guard let name = key.string else { continue }
            if name == "parameters" {
                try checkParameters(value, at: path + "/parameters")
            } else if !["summary", "description"].contains(name) {
                try checkOperation(value, at: path + "/" + name)
            }
        }
    }

    private static func checkOperation(_ node: Node, at path: String) throws {
        let operation = try mapping(node, at: path)
        try keys(operation, allowed: Self.operation, at: path)
        if let security = operation["security"] {
            // What clients are told must be what the server does: `security: []` is a public operation.
            let isPublic = security.sequence?.isEmpty == true
            let credentials = operation["x-hot-credentials"]?.sequence
            if isPublic != (credentials?.isEmpty == true) {
                throw Unsupported(description: "\(path)/security: says \(isPublic ? "public" : "authenticated") but x-hot-credentials disagrees")
            }
        }
        if let parameters = operation["parameters"] { try checkParameters(parameters, at: path + "/parameters") }
        if let body = operation["requestBody"] { try checkRequestBody(body, at: path + "/requestBody") }
        if let responses = operation["responses"] {
            for (key, value) in try mapping(responses, at: path + "/responses") {
                try checkResponse(value, at: path + "/responses/" + escape(key.string ?? ""))
            }
        }
    }

    private static func checkParameters(_ node: Node, at path: String) throws {
        guard let list = node.sequence else { throw Unsupported(description: "\(path): must be a list") }
        for (index, parameter) in list.enumerated() {
            try checkParameter(parameter, at: "\(path)/\(index)")
        }
    }

    private static func checkParameter(_ node: Node, at path: String) throws {
        let parameter = try mapping(node, at: path)
        if isReference(parameter) { return try keys(parameter, allowed: ["$ref"], at: path) }
        try keys(parameter, allowed: Self.parameter, at: path)
        if let schema = parameter["schema"] {
            try checkSchema(schema, at: path + "/schema", place: parameter["in"]?.string == "query" ? .queryParameter : .other)
        }
    }

    private static func checkRequestBody(_ node: Node, at path: String) throws {
        let body = try mapping(node, at: path)
        if isReference(body) { return try keys(body, allowed: ["$ref"], at: path) }
        try keys(body, allowed: requestBody, at: path)
        try checkContent(body["content"], at: path + "/content", request: true)
    }

    private static func checkResponse(_ node: Node, at path: String) throws {
        let response = try mapping(node, at: path)
        if isReference(response) { return try keys(response, allowed: ["$ref"], at: path) }
        try keys(response, allowed: Self.response, at: path)
        try checkContent(response["content"], at: path + "/content", request: false)
        for (key, value) in try named(response["headers"], at: path + "/headers") {
            let headerPath = path + "/headers/" + escape(key)
            let header = try mapping(value, at: headerPath)
            try keys(header, allowed: Self.header, at: headerPath)
            if let schema = header["schema"] { try checkHeaderSchema(schema, at: headerPath + "/schema") }
        }
    }

    /// One content type per body: the routes read one and the validators check one, so a second
    /// would be documented and never served.
    private static func checkContent(_ node: Node?, at path: String, request: Bool) throws {
        guard let node else { return }
        let content = try mapping(node, at: path)
        if content.count > 1 {
            let types = content.keys.compactMap(\.string).joined(separator: ", ")
            throw Unsupported(description: "\(path): one content type per \(request ? "request body" : "response") is supported, not \(types)")
        }
        for (key, value) in content {
            let mediaPath = path + "/" + escape(key.string ?? "")
            let media = try mapping(value, at: mediaPath)
            // A multipart part's `contentType` tells clients what to send; the server checks the bytes themselves.
            let multipart = key.string == "multipart/form-data"
            try keys(media, allowed: multipart ? mediaType.union(["encoding"]) : mediaType, at: mediaPath)
            for (part, encoding) in try named(media["encoding"], at: mediaPath + "/encoding") {
                try keys(try mapping(encoding, at: mediaPath + "/encoding/" + escape(part)), allowed: ["contentType"], at: mediaPath + "/encoding/" + escape(part))
            }
            if let schema = media["schema"] { try checkSchema(schema, at: mediaPath + "/schema", place: .other) }
            for (name, example) in try named(media["examples"], at: mediaPath + "/examples") {
                let examplePath = mediaPath + "/examples/" + escape(name)
                let map = try mapping(example, at: examplePath)
                try keys(map, allowed: isReference(map) ? ["$ref"] : Self.example, at: examplePath)
            }
        }
    }

    /// Response headers are strings on the wire: a string (with `enum`, `pattern`, lengths) or an
    /// integer (with bounds), which the generated response-header rules check.
    private static func checkHeaderSchema(_ node: Node, at path: String) throws {
        let schema = try mapping(node, at: path)
        let type = schema["type"]?.string
        guard type == "string" || type == "integer" else {
            throw Unsupported(description: "\(path): a response header schema must be type string or integer")
        }
        let allowed: Set<String> = type == "string"
            ? ["type", "description", "enum", "pattern", "minLength", "maxLength"]
            : ["type", "description", "minimum", "maximum"]
        try keys(schema, allowed: allowed, at: path)
        try checkEnum(schema, at: path)
    }

    // MARK: Schemas

    private static func checkSchema(_ node: Node, at path: String, place: SchemaPlace) throws {
        if node.bool != nil { throw Unsupported(description: "\(path): boolean schemas are not supported") }
        let schema = try mapping(node, at: path)
        if isReference(schema) { return try keys(schema, allowed: ["$ref", "description"], at: path) }
        let types = try declaredTypes(schema, at: path)
        for (key, _) in schema {
            guard let name = key.string else { continue }
            if name == "x-hot-check" {
                guard let check = schema[key]?.string, let first = check.unicodeScalars.first, ("a"..."z").contains(first),
                      check.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) }) else {
                    throw Unsupported(description: "\(path)/x-hot-check: must name a check of SchemaCheck (a lowerCamel identifier)")
                }
                continue
            }
            if name.hasPrefix("x-") {
                if name.hasPrefix("x-hot-") { throw Unsupported(description: "\(path)/\(escape(name)): unknown extension") }
                continue
            }
            if commonSchema.contains(name) { continue }
            if name == "default" {
                try checkDefault(schema, types: types, at: path, place: place)
                continue
            }
            if ["allOf", "anyOf", "not"].contains(name) {
                throw Unsupported(description: "\(path)/\(name): allOf/anyOf/not are not supported (see spec/CONVENTIONS.md)")
            }
            guard types.contains(where: { typedSchema[$0]?.contains(name) == true }) else {
                let what = types.isEmpty ? "a schema without type" : "type \(types.sorted().joined(separator: "|"))"
                throw Unsupported(description: "\(path)/\(escape(name)): the keyword \(name) is not supported on \(what)")
            }
        }
        if let format = schema["format"] {
            let allowed = types.reduce(into: Set<String>()) { $0.formUnion(formats[$1] ?? []) }
            guard let text = format.string, allowed.contains(text) else {
                throw Unsupported(description: "\(path)/format: format \(format.string ?? "?") is not supported (supported: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try checkEnum(schema, at: path)
        if let items = schema["items"] { try checkSchema(items, at: path + "/items", place: .other) }
        // What a string's JSON text holds (an SSE frame's `data`); the translator reads it as x-hot-contentSchema.
        if let content = schema["contentSchema"] { try checkSchema(content, at: path + "/contentSchema", place: .other) }
        if let additional = schema["additionalProperties"], additional.bool == nil {
            try checkSchema(additional, at: path + "/additionalProperties", place: .other)
        }
        // `propertyNames` is checked key by key where it is translated (Translator.propertyNamesRule).
        if let alternatives = schema["oneOf"] {
            for (index, alternative) in (alternatives.sequence ?? []).enumerated() {
                try checkSchema(alternative, at: "\(path)/oneOf/\(index)", place: place)
            }
        }
        for (pattern, value) in try named(schema["patternProperties"], at: path + "/patternProperties") {
            try checkSchema(value, at: path + "/patternProperties/" + escape(pattern), place: .other)
        }
        for (name, property) in try named(schema["properties"], at: path + "/properties") {
            try checkSchema(property, at: path + "/properties/" + escape(name), place: .property)
        }
    }

    /// `type: X` or `type: [X, "null"]`; no type means any JSON value (only common keywords apply).
    private static func declaredTypes(_ schema: Node.Mapping, at path: String) throws -> Set<String> {
        guard let type = schema["type"] else { return [] }
        let names = type.string.map { [$0] } ?? (type.sequence ?? []).compactMap(\.string)
        for name in names where typedSchema[name] == nil {
            throw Unsupported(description: "\(path)/type: unknown type \(name)")
        }
        return Set(names)
    }

    /// Enums of strings only: they become Swift enums and string rules; another enum would be unchecked.
    private static func checkEnum(_ schema: Node.Mapping, at path: String) throws {
        guard let values = schema["enum"] else { return }
        guard let list = values.sequence, !list.isEmpty,
              list.allSatisfy(isPlainString)
        else {
            throw Unsupported(description: "\(path)/enum: only enums of strings are supported")
        }
    }

    /// `default` is applied where the generated code reads the value: query parameters (the route)
    /// and object properties (the model's decoder), for a non-nullable string, integer or boolean.
    private static func checkDefault(_ schema: Node.Mapping, types: Set<String>, at path: String, place: SchemaPlace) throws {
        guard place != .other, types.count == 1, let type = types.first, defaultTypes.contains(type) else {
            throw Unsupported(description: "\(path)/default: a default is supported only on a non-nullable string, integer or boolean query parameter or object property")
        }
        let value = schema["default"]!
        let matches: Bool
        switch type {
        case "integer": matches = value.int != nil && isPlainScalar(value)
        case "boolean": matches = value.bool != nil && isPlainScalar(value)
        default: matches = isPlainString(value)
        }
        guard matches else { throw Unsupported(description: "\(path)/default: the default is not a \(type)") }
    }

    // MARK: Helpers

    private static func keys(_ mapping: Node.Mapping, allowed: Set<String>, at path: String) throws {
        for (key, _) in mapping {
            guard let name = key.string else { throw Unsupported(description: "\(path): a key that is not a string") }
            if allowed.contains(name) { continue }
            if name.hasPrefix("x-"), !name.hasPrefix("x-hot-") { continue }
            throw Unsupported(description: "\(path)/\(escape(name)): \(name) is not supported here (the generator would ignore it)")
        }
    }

    private static func mapping(_ node: Node, at path: String) throws -> Node.Mapping {
        guard let mapping = node.mapping else { throw Unsupported(description: "\(path): must be a mapping") }
        return mapping
    }

    /// A mapping of names (properties, components, headers …) as name → node.
    private static func named(_ node: Node?, at path: String) throws -> [(String, Node)] {
        guard let node else { return [] }
        return try mapping(node, at: path).map { ($0.key.string ?? "", $0.value) }
    }

    private static func isReference(_ mapping: Node.Mapping) -> Bool {
        mapping["$ref"] != nil
    }

    private static func isPlainScalar(_ node: Node) -> Bool {
        node.scalar?.style == .plain
    }

    /// A string value: quoted, or plain text that YAML does not read as a number, boolean or null.
    private static func isPlainString(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        if scalar.style != .plain { return true }
        return node.int == nil && node.float == nil && node.bool == nil && node.null == nil
    }

    /// JSON pointer escaping: `~` → `~0`, `/` → `~1`.
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

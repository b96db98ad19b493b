import Yams

/// JSON Schema keywords the generator understands but OpenAPIKit does not model (it drops them while
/// decoding). Before decoding, each is copied into a vendor extension of the same schema, which
/// OpenAPIKit keeps, so the translator finds it beside the schema's other keywords.
enum SchemaKeywords {
    /// Keyword → the vendor extension that carries it.
    static let carried = [
        "propertyNames": "x-hot-propertyNames", "contentSchema": "x-hot-contentSchema", "patternProperties": "x-hot-patternProperties",
    ]

    /// Keys whose values are names mapped to schemas, not keywords (`properties: {default: {…}}` is a
    /// property named `default`).
    private static let nameMaps: Set<String> = ["properties", "patternProperties", "$defs", "schemas"]
    /// Keys whose values are data, never schemas: a `propertyNames` inside an example is an example's.
    private static let dataKeys: Set<String> = ["example", "examples", "default", "enum", "const"]

    /// `node` with every carried keyword also written as its vendor extension.
    static func carry(_ node: Node) -> Node {
        carry(node, inNameMap: false)
    }

    private static func carry(_ node: Node, inNameMap: Bool) -> Node {
        switch node {
        case .mapping(let mapping):
            var pairs: [(Node, Node)] = []
            for (key, value) in mapping {
                guard let name = key.string, !inNameMap else {
                    pairs.append((key, carry(value, inNameMap: false)))
                    continue
                }
                if dataKeys.contains(name) || name.hasPrefix("x-") {
                    pairs.append((key, value))
                    continue
                }
                pairs.append((key, carry(value, inNameMap: nameMaps.contains(name))))
                if let extensionName = carried[name], mapping[extensionName] == nil {
                    pairs.append((Node(extensionName), value))
                }
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map { carry($0, inNameMap: false) }, sequence.tag, sequence.style, sequence.mark))
        default:
            return node
        }
    }
}

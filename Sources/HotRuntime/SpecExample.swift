/// A named example of the spec: the request it documents and the response it gets. The generator
/// writes them all into `SpecExamples.all`; the conformance tests replay them.
public struct SpecExample: Sendable {
    public var operationId: String
    public var name: String
    public var method: String
    /// OpenAPI path template.
    public var path: String
    /// `example` values of the path and query parameters.
    public var parameters: [String: String]
    public var requestContentType: String?
    public var requestBody: String?
    public var status: Int
    public var responseContentType: String?
    public var responseBody: String?

    public init(operationId: String, name: String, method: String, path: String, parameters: [String: String],
                requestContentType: String?, requestBody: String?, status: Int, responseContentType: String?, responseBody: String?) {
        self.operationId = operationId
        self.name = name
        self.method = method
        self.path = path
        self.parameters = parameters
        self.requestContentType = requestContentType
        self.requestBody = requestBody
        self.status = status
        self.responseContentType = responseContentType
        self.responseBody = responseBody
    }
}

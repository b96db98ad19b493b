import Foundation
import Generated
import HotRuntime
import Testing

/// The spec's own examples obey its schemas (CONVENTIONS.md), checked with the generated rules.
@Suite("Spec examples against their schemas")
struct SpecExampleSchemaTests {
    @Test("every documented JSON request and response body validates against its operation's schema")
    func examplesValidate() throws {
        var checked = 0
        for example in SpecExamples.all {
            let label = "\(example.operationId)/\(example.name)"
            if example.requestContentType == "application/json", let text = example.requestBody {
                // A JSON example without a rule to check it against would pass unchecked.
                let rule = try #require(OperationSchemas.requestBody(operationId: example.operationId), "\(label): no request rule")
                let issues = Schemas.validator.issues(try JSONValue.parse(Data(text.utf8)), against: rule)
                #expect(issues.isEmpty, "\(label) request: \(issues)")
                checked += 1
            }
            if example.responseContentType == "application/json", let text = example.responseBody {
                let rule = try #require(OperationSchemas.response(operationId: example.operationId, status: example.status),
                                        "\(label): no response rule")
                let issues = Schemas.validator.issues(try JSONValue.parse(Data(text.utf8)), against: rule)
                #expect(issues.isEmpty, "\(label) response: \(issues)")
                checked += 1
            }
        }
        // Most examples are JSON, and many carry a JSON request too.
        #expect(checked > SpecExamples.all.count * 9 / 10)
    }

    @Test("a default response covers only statuses the operation does not declare; bodiless ones get no JSON rule")
    func defaultResponseScope() {
        // 204 and an event stream's 200 have no JSON body: not the error envelope's rule.
        #expect(OperationSchemas.response(operationId: "deleteProject", status: 204) == nil)
        #expect(OperationSchemas.response(operationId: "subscribeEnv", status: 200) == nil)
        #expect(OperationSchemas.response(operationId: "subscribeStream", status: 200) == nil)
        // A status neither declares still has the default's (the error envelope).
        #expect(OperationSchemas.response(operationId: "deleteProject", status: 418) == .ref("ErrorEnvelope"))
        #expect(OperationSchemas.response(operationId: "deleteProject", status: 404) == .ref("ErrorEnvelope"))
    }

    @Test("documented response headers carry their schemas' rules")
    func responseHeaderRules() throws {
        let retryAfter = try #require(OperationSchemas.responseHeaders(operationId: "listProjects", status: 429).first { $0.name == "Retry-After" })
        #expect(retryAfter.rule == .integer(minimum: 0, maximum: nil))
        #expect(Schemas.validator.issues(.int(-1), against: retryAfter.rule).count == 1)
        #expect(OperationSchemas.responseHeaders(operationId: "listProjects", status: 200).isEmpty)
    }

    @Test("every operation has a success example and every path parameter an example value")
    func coverage() {
        for operation in OperationTable.all {
            let examples = SpecExamples.all.filter { $0.operationId == operation.operationId }
            #expect(examples.contains { $0.status < 300 }, "\(operation.operationId) has no success example")
            let parameters = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            for parameter in parameters {
                #expect(examples.allSatisfy { $0.parameters[parameter] != nil }, "\(operation.operationId): no example for \(parameter)")
            }
        }
    }
}

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
            if example.requestContentType == "application/json", let text = example.requestBody,
               let rule = OperationSchemas.requestBody(operationId: example.operationId) {
                let issues = Schemas.validator.issues(try JSONValue.parse(Data(text.utf8)), against: rule)
                #expect(issues.isEmpty, "\(label) request: \(issues)")
                checked += 1
            }
            if example.responseContentType == "application/json", let text = example.responseBody,
               let rule = OperationSchemas.response(operationId: example.operationId, status: example.status) {
                let issues = Schemas.validator.issues(try JSONValue.parse(Data(text.utf8)), against: rule)
                #expect(issues.isEmpty, "\(label) response: \(issues)")
                checked += 1
            }
        }
        #expect(checked > SpecExamples.all.count)
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

import Foundation
import Generated
import HotRuntime
import Testing

/// The check every suite's answers go through (`Tenant.send`): it must name the right operation,
/// accept what the spec documents, and refuse what it does not.
@Suite struct ResponseSchemaCheckTests {
    @Test("a path names its operation; a literal segment wins over a parameter")
    func operationLookup() {
        #expect(ResponseSchemaCheck.operation(method: "GET", path: "/v1/projects?limit=2")?.operationId == "listProjects")
        #expect(ResponseSchemaCheck.operation(method: "POST", path: "/v1/projects")?.operationId == "createProject")
        let deployed = ResponseSchemaCheck.operation(method: "GET", path: "/v1/projects/p/builds/deployed")
        let oneBuild = ResponseSchemaCheck.operation(method: "GET", path: "/v1/projects/p/builds/\(UUID().lowercased)")
        #expect(deployed != nil && oneBuild != nil && deployed?.operationId != oneBuild?.operationId)
        #expect(deployed?.path == "/v1/projects/{project_id_or_slug}/builds/deployed")
        #expect(ResponseSchemaCheck.operation(method: "GET", path: "/v1/runs/stats")?.path == "/v1/runs/stats")
        #expect(ResponseSchemaCheck.operation(method: "GET", path: "/v1/nothing-here") == nil)
        #expect(ResponseSchemaCheck.operation(method: "PUT", path: "/v1/projects") == nil)
        #expect(ResponseSchemaCheck.operation(method: "GET", path: "/v1/projects//builds") == nil)
    }

    @Test("every documented JSON example passes; a wrong status, body or content type does not")
    func documentedAndNot() throws {
        var checked = 0
        for example in SpecExamples.all where example.responseContentType == "application/json" {
            let body = Data(try #require(example.responseBody).utf8)
            let path = example.path.replacingOccurrences(of: #"\{[^}]*\}"#, with: "x", options: .regularExpression)
            let method = try #require(OperationTable.all.first { $0.operationId == example.operationId }).method.rawValue
            let label = "\(example.operationId)/\(example.name)"
            #expect(ResponseSchemaCheck.problems(method: method, path: path, status: example.status, contentType: "application/json", body: body) == [],
                    "\(label)")
            // A status the operation does not list.
            #expect(ResponseSchemaCheck.problems(method: method, path: path, status: 418, contentType: "application/json", body: body).count == 1,
                    "\(label)")
            // Not JSON, or not labelled so.
            #expect(!ResponseSchemaCheck.problems(method: method, path: path, status: example.status, contentType: "application/json", body: Data("<html>".utf8)).isEmpty,
                    "\(label)")
            // A documented JSON answer, success or error, must be labelled JSON (downloads and streams
            // document no JSON body, so they have no rule to be checked against).
            #expect(!ResponseSchemaCheck.problems(method: method, path: path, status: example.status, contentType: "text/plain", body: body).isEmpty,
                    "\(label)")
            // Every documented JSON answer is an object with required members; an empty array is none of them.
            #expect(!ResponseSchemaCheck.problems(method: method, path: path, status: example.status, contentType: "application/json", body: Data("[]".utf8)).isEmpty,
                    "\(label)")
            checked += 1
        }
        #expect(checked > 50)
        #expect(ResponseSchemaCheck.problems(method: "GET", path: "/v1/nothing-here", status: 404, contentType: "application/json", body: Data("{}".utf8)).count == 1)
    }
}

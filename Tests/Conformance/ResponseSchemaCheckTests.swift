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

    @Test("an SSE frame passes only as an event its feed declares, with data of that event's schema")
    func frames() throws {
        let run = UUID().lowercased
        let stream = UUID().lowercased
        let good = SSEFrame(id: "42", event: "stream:data",
                            data: #"{"type":"stream:data","run_id":"\#(run)","data_type":"ai:delta","payload":{"text":"Hel"}}"#)
        #expect(SSEFrameCheck.problems(good, operationId: "subscribeStream") == [])
        #expect(SSEFrameCheck.problems(SSEFrame(id: nil, event: ":", data: "keep-alive"), operationId: "subscribeStream") == [])
        let wrong: [(SSEFrame, String)] = [
            // The env feed does not send stream data.
            (good, "subscribeEnv"),
            // Required field missing, a field of the wrong type, an unknown field.
            (SSEFrame(id: "1", event: "run:start", data: #"{"type":"run:start"}"#), "subscribeStream"),
            (SSEFrame(id: "1", event: "stream:complete", data: #"{"type":"stream:complete","stream_id":42}"#), "subscribeStream"),
            (SSEFrame(id: nil, event: "stream:complete", data: #"{"type":"stream:complete","stream_id":"\#(stream)","extra":1}"#), "subscribeStream"),
            // data.type disagreeing with the event name, data that is not JSON, an id that is no sequence number.
            (SSEFrame(id: nil, event: "stream:complete", data: #"{"type":"stream:data","stream_id":"\#(stream)"}"#), "subscribeStream"),
            (SSEFrame(id: nil, event: "stream:complete", data: "not json"), "subscribeStream"),
            (SSEFrame(id: "x1", event: "stream:complete", data: #"{"type":"stream:complete","stream_id":"\#(stream)"}"#), "subscribeStream"),
            (SSEFrame(id: nil, event: "stream:created", data: #"{"type":"stream:created","stream_id":"\#(stream)"}"#), "subscribeEnv"),
        ]
        for (frame, operationId) in wrong {
            #expect(!SSEFrameCheck.problems(frame, operationId: operationId).isEmpty, "\(operationId) \(frame)")
        }
    }
}

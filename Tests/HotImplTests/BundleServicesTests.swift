import Foundation
import Testing

@testable import HotImpl

/// The manifest's `mcp_tools` and `webhooks` sections, read strictly.
@Suite("Manifest tools and webhooks")
struct BundleServicesTests {
    func contents(_ sections: String) throws -> BundleContents {
        let text = #"{"hot.bundle.app": {\#(sections)}}"#
        return try BundleManifest.contents(from: try ManifestParser().parse(Data(text.utf8)))
    }

    func refusal(_ sections: String) -> String? {
        do {
            _ = try contents(sections)
            return nil
        } catch let error as BundleError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("tools and webhooks are read with their defaults: auth_mode required for tools, none for webhooks; POST; an object schema")
    func read() throws {
        let read = try contents("""
            mcp_tools: {"weather": [
              {name: "get-forecast", fn: "::weather::tools/forecast", description: "Forecast", title: "Get forecast",
               input_schema: {type: "object", properties: {city: {type: "string"}}, required: ["city"]}, annotations: {readOnlyHint: true},
               file: "src/tools.hot", line: 3},
              {name: "ping", fn: "::weather::tools/ping", auth_mode: "none"}]},
            webhooks: {"stripe-hooks": [
              {path: "/stripe", method: "post", name: "Stripe", fn: "::billing/on-stripe", description: "payments"},
              {path: "/status/check", method: "GET", fn: "::billing/status", auth_mode: "required"}]}
            """)
        #expect(read.tools.count == 2)
        let forecast = read.tools[0]
        #expect(forecast.service == "weather" && forecast.name == "get-forecast")
        #expect(forecast.ns == "::weather::tools" && forecast.var == "forecast")
        #expect(forecast.authMode == "required" && forecast.title == "Get forecast")
        #expect(forecast.inputSchemaJSON.contains(#""required":["city"]"#))
        #expect(forecast.annotationsJSON == #"{"readOnlyHint":true}"#)
        #expect(read.tools[1].authMode == "none" && read.tools[1].inputSchemaJSON == #"{"type":"object"}"#)
        #expect(read.webhooks.map(\.method) == ["POST", "GET"])
        #expect(read.webhooks.map(\.authMode) == ["none", "required"])
        #expect(read.webhooks[0].service == "stripe-hooks" && read.webhooks[0].path == "/stripe" && read.webhooks[0].name == "Stripe")
        #expect(read.webhooks[0].ns == "::billing" && read.webhooks[0].var == "on-stripe")
    }

    @Test("every broken rule is refused, naming the entry", arguments: [
        (#"mcp_tools: {"Weather": [{name: "a", fn: "::w/a"}]}"#, "service 'Weather'"),
        (#"mcp_tools: {"\#(String(repeating: "a", count: 64))": []}"#, "must be 1–63"),
        (#"mcp_tools: {"w": [{fn: "::w/a"}]}"#, "without a name"),
        (#"mcp_tools: {"w": [{name: "a b", fn: "::w/a"}]}"#, "without a name"),
        (#"mcp_tools: {"w": [{name: "a", fn: "::w/a"}, {name: "a", fn: "::w/b"}]}"#, "tool 'a' twice"),
        (#"mcp_tools: {"w": [{name: "a", fn: "nope"}]}"#, "fn 'nope'"),
        (#"mcp_tools: {"w": [{name: "a"}]}"#, "no string fn"),
        (#"mcp_tools: {"w": [{name: "a", fn: "::w/a", auth_mode: "maybe"}]}"#, "auth_mode 'maybe'"),
        (#"mcp_tools: {"w": [{name: "a", fn: "::w/a", input_schema: "object"}]}"#, "input_schema that is not a map"),
        (#"mcp_tools: {"w": [{name: "a", fn: "::w/a", title: 3}]}"#, "title that is not a string"),
        (#"mcp_tools: {"w": {name: "a", fn: "::w/a"}}"#, "must be a vector"),
        (#"mcp_tools: ["w"]"#, "must be a map"),
        (#"webhooks: {"s": [{path: "stripe", fn: "::b/f"}]}"#, "without a path"),
        (#"webhooks: {"s": [{path: "/a/../b", fn: "::b/f"}]}"#, "without a path"),
        (#"webhooks: {"s": [{path: "/a?x=1", fn: "::b/f"}]}"#, "without a path"),
        (#"webhooks: {"s": [{path: "/a//b", fn: "::b/f"}]}"#, "without a path"),
        (#"webhooks: {"s": [{path: "/a", method: "TRACE", fn: "::b/f"}]}"#, "method 'TRACE'"),
        (#"webhooks: {"s": [{path: "/a", fn: "::b/f"}, {path: "/a", method: "POST", fn: "::b/g"}]}"#, "POST '/a' is declared twice"),
        (#"webhooks: {"s": [{path: "/a", fn: "::b/f", auth_mode: "optional"}]}"#, "auth_mode 'optional'"),
    ])
    func refused(_ sections: String, _ expected: String) {
        let message = refusal(sections)
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }

    @Test("service names: 1–63 lower-case letters, digits and hyphens")
    func serviceNames() {
        #expect(BundleServices.isServiceName("weather-2"))
        #expect(BundleServices.isServiceName(String(repeating: "a", count: 63)))
        #expect(!BundleServices.isServiceName(String(repeating: "a", count: 64)))
        #expect(!BundleServices.isServiceName(""))
        #expect(!BundleServices.isServiceName("Weather"))
        #expect(!BundleServices.isServiceName("we_ather"))
    }
}

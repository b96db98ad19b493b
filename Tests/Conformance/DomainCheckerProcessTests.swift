import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Testing

/// The domain checker as it ships: a service of `hot-server serve`, with the DNS provider asking a
/// real DNS server (one this test runs) for the customer's records.
@Suite("Domain checker in a server process")
struct DomainCheckerProcessTests {
    @Test("serve advances a domain to active once its DNS records exist, and removes it after a delete")
    func backgroundChecks() async throws {
        let dataDirectory = try ServeProcess.dataDirectory("hot-domains")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let dns = try await TestDNSServer()
        let serving = try await ServeProcess.start(dataDirectory, environment: [
            "HOT_DNS_RESOLVER": "127.0.0.1:\(dns.address.port ?? 0)",
            "HOT_DOMAIN_TARGET": "Hot.Example.NET",
            "HOT_DOMAIN_CHECK_INTERVAL": "1",
        ])
        defer { if serving.process.isRunning { serving.process.terminate() } }
        let tenant = try await serving.tenant(dataDirectory)

        let created = try await tenant.send(.POST, "/v1/domains", body: #"{"domain":"App.Example.com"}"#)
        #expect(created.status == 201)
        let data = try #require(created.json?["data"])
        let id = try #require(data["domain_id"]?.stringValue)
        let name = try #require(data["acm_validation_cname_name"]?.stringValue)
        let value = try #require(data["acm_validation_cname_value"]?.stringValue)
        #expect(name.hasSuffix(".app.example.com"))
        #expect(value.hasSuffix(".hot.example.net"))
        // A check without the records leaves it pending and says what to add.
        let pending = try await tenant.send(.POST, "/v1/domains/\(id)/verify")
        #expect(pending.json?["data"]?["message"]?.stringValue == "Add a CNAME record: \(name) → \(value)")

        dns.setCNAME(name, to: value)
        dns.setCNAME("app.example.com", to: "hot.example.net")
        let active = try await status(of: id, tenant, until: { $0 == "active" })
        #expect(active?["cf_distribution_domain"]?.stringValue == "hot.example.net")

        #expect(try await tenant.send(.DELETE, "/v1/domains/\(id)").status == 204)
        _ = try await status(of: id, tenant, until: { $0 == nil })
        #expect(try await serving.stop() == 0)
        try await dns.close()
    }

    /// Reads the domain until `done` holds for its status (nil: gone), within 60 s.
    func status(of id: String, _ tenant: Tenant, until done: @escaping @Sendable (String?) -> Bool) async throws -> JSONValue? {
        try await Deadline.within(.seconds(60), waitingFor: "domain \(id) to reach the status expected") {
            while true {
                let reply = try await tenant.send(.GET, "/v1/domains/\(id)")
                let domain = reply.status == 200 ? reply.json?["data"] : nil
                if done(domain?["status"]?.stringValue) { return domain }
                // The server checks every second; read again shortly.
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

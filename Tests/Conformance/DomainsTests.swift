import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import NIOHTTP1
import Testing

/// Custom domains through the API, with the scripted provider of the test server and a checker
/// each test drives itself (over its own env, on a clock it moves): no sleeps.
@Suite("Domains")
struct DomainsTests {
    let provider = TestServer.domains

    /// A checker over `tenant`'s env whose clock runs a day ahead per pass, so every backoff is over.
    struct Checker {
        let checker: DomainChecker
        let clock: ManualWallClock

        init(_ tenant: Tenant, settings: DomainChecker.Settings = .init()) {
            clock = ManualWallClock(Date())
            checker = DomainChecker(database: tenant.server.database, provider: TestServer.domains, settings: settings, clock: clock,
                                    envIds: [tenant.envId], logger: tenant.server.logger)
        }

        /// A pass once every backoff has run out.
        @discardableResult
        func passLater() async throws -> [UUID: DomainChecker.Outcome] {
            clock.advance(by: 86_400)
            return try await checker.pass()
        }
    }

    func register(_ tenant: Tenant, _ domain: String) async throws -> JSONValue {
        let reply = try await tenant.send(.POST, "/v1/domains", body: #"{"domain":"\#(domain)"}"#)
        guard reply.status == 201, let data = reply.json?["data"] else {
            throw TestFailure("registering \(domain) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return data
    }

    func domain(_ tenant: Tenant, _ id: String) async throws -> JSONValue? {
        let reply = try await tenant.send(.GET, "/v1/domains/\(id)")
        return reply.status == 200 ? reply.json?["data"] : nil
    }

    /// A tenant in a new org on `plan`, and the org.
    func orgTenant(plan: String) async throws -> (Tenant, UUID) {
        let server = try await TestServer.shared.running()
        let org = try await OrgStore(database: server.database).create(name: "\(plan)-\(UUID().lowercased)", plan: plan)
        return (try await Tenant.make(orgId: org.id), org.id)
    }

    @Test("names are validated and stored lower-cased, internationalised ones in their xn-- form")
    func validation() async throws {
        let tenant = try await Tenant.make()
        let label = "t\(UUID().lowercased.prefix(8))"
        for bad in ["localhost", "192.168.0.1", "*.\(label).example.com", "\(label).example.com.", "-\(label).example.com",
                    "\(label)-.example.com", String(repeating: "a", count: 64) + ".example.com", "\(label)..example.com",
                    "http://\(label).example.com", "\(label).example.com:8443", "\(label) x.example.com", "ab--\(label).example.com",
                    "xn--zz!.example.com", "xn--a.example.com", (0..<51).map { _ in "abcd" }.joined(separator: ".") + ".com",
                    // 79 characters, 319 in ASCII form.
                    (0..<40).map { _ in "ü" }.joined(separator: "."), "\(label).example.c😀m"] {
            let body = String(decoding: try JSONValue.object(["domain": .string(bad)]).serialized(), as: UTF8.self)
            let reply = try await tenant.send(.POST, "/v1/domains", body: body)
            #expect(reply.status == 400, "\(bad) answered \(reply.status)")
            #expect(reply.json?["error"]?["code"]?.stringValue == "bad_request")
            // The server's rules word the refusal (the schema's pattern only says that it failed).
            let message = reply.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.hasPrefix("Invalid domain '") && !message.contains("pattern"), "\(bad): \(message)")
        }
        let upper = try await register(tenant, "MCP.\(label.uppercased()).Example.COM")
        #expect(upper["domain"]?.stringValue == "mcp.\(label).example.com")
        let unicode = try await register(tenant, "bücher.\(label).example")
        #expect(unicode["domain"]?.stringValue == "xn--bcher-kva.\(label).example")
        // The same name in its A-label form is the same domain.
        let again = try await tenant.send(.POST, "/v1/domains", body: #"{"domain":"xn--bcher-kva.\#(label).example"}"#)
        #expect(again.status == 409)
        #expect(again.json?["error"]?["code"]?.stringValue == "domain_exists")
    }

    @Test("a starter org may not register domains; pro may, up to 5, and deleting one frees its place")
    func planGateAndLimit() async throws {
        let (starter, _) = try await orgTenant(plan: "starter")
        let refused = try await starter.send(.POST, "/v1/domains", body: #"{"domain":"\#(Fixtures.uniqueDomain("example.com"))"}"#)
        #expect(refused.status == 403)
        #expect(refused.json?["error"]?["code"]?.stringValue == "plan_required")

        let (pro, orgId) = try await orgTenant(plan: "pro")
        // Two envs of one org share its limit.
        let sibling = try await Tenant.make(orgId: orgId)
        var ids: [String] = []
        for index in 0..<5 {
            let data = try await register(index.isMultiple(of: 2) ? pro : sibling, Fixtures.uniqueDomain("example.com"))
            ids.append(try #require(data["domain_id"]?.stringValue))
        }
        let over = try await pro.send(.POST, "/v1/domains", body: #"{"domain":"\#(Fixtures.uniqueDomain("example.com"))"}"#)
        #expect(over.status == 403)
        #expect(over.json?["error"]?["code"]?.stringValue == "domain_limit_reached")
        #expect(over.json?["error"]?["message"]?.stringValue?.contains("up to 5 custom domains") == true)
        #expect(try await pro.send(.DELETE, "/v1/domains/\(ids[0])").status == 204)
        _ = try await register(pro, Fixtures.uniqueDomain("example.com"))
    }

    @Test("concurrent registrations never overshoot the plan's limit")
    func concurrentLimit() async throws {
        let (pro, _) = try await orgTenant(plan: "pro")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 {
                group.addTask { try await pro.send(.POST, "/v1/domains", body: #"{"domain":"\#(Fixtures.uniqueDomain("example.com"))"}"#).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 5)
        #expect(statuses.filter { $0 == 403 }.count == 7)
        let list = try await pro.send(.GET, "/v1/domains?limit=100")
        #expect(list.json?["pagination"]?["total"] == .int(5))
    }

    @Test("a domain is registered once across envs, also while its deletion is being cleaned up")
    func conflictAcrossEnvs() async throws {
        let first = try await Tenant.make()
        let (second, _) = try await orgTenant(plan: "scale")
        let name = Fixtures.uniqueDomain("example.com")
        let id = try #require(try await register(first, name)["domain_id"]?.stringValue)
        let taken = try await second.send(.POST, "/v1/domains", body: #"{"domain":"\#(name)"}"#)
        #expect(taken.status == 409)
        #expect(taken.json?["error"]?["code"]?.stringValue == "domain_exists")
        #expect(taken.json?["error"]?["message"]?.stringValue == "Domain '\(name)' is already registered")

        #expect(try await first.send(.DELETE, "/v1/domains/\(id)").status == 204)
        let cleaning = try await second.send(.POST, "/v1/domains", body: #"{"domain":"\#(name)"}"#)
        #expect(cleaning.status == 409)
        #expect(cleaning.json?["error"]?["message"]?.stringValue?.contains("still being cleaned up") == true)

        // The teardown ends; the name is free.
        try await Checker(first).passLater()
        #expect(provider.calls(name).last == .tearDown)
        #expect(try await domain(first, id) == nil)
        _ = try await register(second, name)
    }

    @Test("another env's domain is not found; lists show the env's own")
    func envScoped() async throws {
        let owner = try await Tenant.make()
        let other = try await Tenant.make()
        let id = try #require(try await register(owner, Fixtures.uniqueDomain("example.com"))["domain_id"]?.stringValue)
        for (method, path) in [(HTTPMethod.GET, "/v1/domains/\(id)"), (.POST, "/v1/domains/\(id)/verify"), (.DELETE, "/v1/domains/\(id)")] {
            let reply = try await other.send(method, path)
            #expect(reply.status == 404, "\(method) \(path)")
            #expect(reply.json?["error"]?["code"]?.stringValue == "not_found")
        }
        #expect(try await other.send(.GET, "/v1/domains").json?["pagination"]?["total"] == .int(0))
        #expect(try await owner.send(.GET, "/v1/domains").json?["data"]?[0]?["domain_id"]?.stringValue == id)
        #expect(try await domain(owner, id)?["status"]?.stringValue == "pending_validation")
    }

    @Test("the whole lifecycle: pending_validation → validated → provisioning → active, then deleting → gone")
    func lifecycle() async throws {
        let tenant = try await Tenant.make()
        let checker = Checker(tenant)
        let name = Fixtures.uniqueDomain("example.com")
        let created = try await register(tenant, name)
        let id = try #require(created["domain_id"]?.stringValue)
        #expect(created["status"]?.stringValue == "pending_validation")
        #expect(created["acm_validation_cname_name"]?.stringValue == ScriptedDomainProvider.validationName(name))
        #expect(created["acm_validation_cname_value"]?.stringValue == ScriptedDomainProvider.validationValue)
        #expect(created["cf_distribution_domain"] == .null)
        #expect(created["verified_at"] == .null && created["tls_provisioned_at"] == .null && created["routing_domain"] == .null)

        // Not validated yet: verify names the record to add; a pass changes nothing.
        let pending = try await tenant.send(.POST, "/v1/domains/\(id)/verify")
        #expect(pending.json?["data"]?["status"]?.stringValue == "pending_validation")
        #expect(pending.json?["data"]?["message"]?.stringValue
                == "Add a CNAME record: \(ScriptedDomainProvider.validationName(name)) → \(ScriptedDomainProvider.validationValue)")
        #expect(try await checker.passLater()[UUID(uuidString: id)!] == .now(.pendingValidation))

        // The record appears: verify validates at once and leaves provisioning to the checker.
        provider.script(name) { $0.certificate = .issued }
        let validated = try await tenant.send(.POST, "/v1/domains/\(id)/verify")
        #expect(validated.json?["data"]?["status"]?.stringValue == "validated")
        #expect(validated.json?["data"]?["message"]?.stringValue?.hasPrefix("Domain validated successfully") == true)
        #expect(!provider.calls(name).contains(.provisionRouting))

        #expect(try await checker.passLater()[UUID(uuidString: id)!] == .now(.provisioning))
        let provisioning = try #require(try await domain(tenant, id))
        #expect(provisioning["status"]?.stringValue == "provisioning")
        #expect(provisioning["cf_distribution_domain"]?.stringValue == ScriptedDomainProvider.routingDomain(name))

        provider.script(name) { $0.routing = .deployed }
        #expect(try await checker.passLater()[UUID(uuidString: id)!] == .now(.active))
        let shown = try #require(try await domain(tenant, id))
        #expect(shown["status"]?.stringValue == "active")
        // The newer API's fields: both records to create, and when each step was reached.
        #expect(shown["dns_records"] == .array([
            .object(["type": "CNAME", "name": .string(ScriptedDomainProvider.validationName(name)),
                     "value": .string(ScriptedDomainProvider.validationValue), "purpose": "certificate_validation"]),
            .object(["type": "CNAME", "name": .string(name), "value": .string(ScriptedDomainProvider.routingDomain(name)), "purpose": "traffic"]),
        ]))
        #expect(shown["routing_domain"] == shown["cf_distribution_domain"])
        #expect(shown["verified_at"]?.stringValue != nil && shown["tls_provisioned_at"]?.stringValue != nil)
        let active = try await tenant.send(.POST, "/v1/domains/\(id)/verify")
        #expect(active.json?["data"]?["message"]?.stringValue == "Domain is active and serving traffic.")
        // An active domain is not checked again.
        #expect(try await checker.passLater()[UUID(uuidString: id)!] == nil)

        #expect(try await tenant.send(.DELETE, "/v1/domains/\(id)").status == 204)
        #expect(try await domain(tenant, id)?["status"]?.stringValue == "deleting")
        #expect(try await checker.passLater()[UUID(uuidString: id)!] == .removed)
        #expect(try await domain(tenant, id) == nil)
        #expect(provider.calls(name) == [.requestCertificate, .certificateStatus, .certificateStatus, .certificateStatus,
                                         .provisionRouting, .routingStatus, .routingStatus, .tearDown])
    }

    @Test("a pending domain is checked again only after its backoff, which doubles; a failing provider is retried")
    func backoff() async throws {
        let tenant = try await Tenant.make()
        let name = Fixtures.uniqueDomain("example.com")
        let idText = try #require(try await register(tenant, name)["domain_id"]?.stringValue)
        let id = try #require(UUID(uuidString: idText))
        // Started after the registration (stamped by the server's real clock), however long that took.
        let clock = ManualWallClock(Date())
        let checker = DomainChecker(database: tenant.server.database, provider: provider, settings: .init(interval: .seconds(10), maxInterval: .seconds(40)),
                                    clock: clock, envIds: [tenant.envId], logger: tenant.server.logger)
        // The API's checker schedules the first check 30 s (its interval) after registration.
        clock.advance(by: 31)
        #expect(try await checker.pass()[id] == .now(.pendingValidation))  // 1 check without progress: next in 10 s
        clock.advance(by: 9)
        #expect(try await checker.pass()[id] == nil)
        clock.advance(by: 2)
        #expect(try await checker.pass()[id] == .now(.pendingValidation))  // 2: next in 20 s
        clock.advance(by: 19)
        #expect(try await checker.pass()[id] == nil)
        clock.advance(by: 2)
        provider.script(name) { $0.failing = true }
        #expect(try await checker.pass()[id] == .now(.pendingValidation))  // 3, failed: next in 40 s (the cap)
        let failed = try await DomainStore(database: tenant.server.database).find(envId: tenant.envId, id: id)
        #expect(failed?.provisioningError?.contains("retried automatically") == true)
        #expect(failed?.attempts == 3)
        clock.advance(by: 39)
        #expect(try await checker.pass()[id] == nil)
        provider.script(name) { $0.failing = false; $0.certificate = .issued; $0.routing = .deployed }
        clock.advance(by: 2)
        #expect(try await checker.pass()[id] == .now(.active))
    }

    @Test("a certificate that fails is replaced by a new request")
    func failedCertificate() async throws {
        let tenant = try await Tenant.make()
        let name = Fixtures.uniqueDomain("example.com")
        let id = try #require(try await register(tenant, name)["domain_id"]?.stringValue)
        provider.script(name) { $0.certificate = .failed("validation timed out") }
        let checker = Checker(tenant)
        try await checker.passLater()
        #expect(provider.calls(name) == [.requestCertificate, .certificateStatus])
        let dropped = try #require(try await domain(tenant, id))
        #expect(dropped["acm_validation_cname_name"] == .null)
        let verify = try await tenant.send(.POST, "/v1/domains/\(id)/verify")
        #expect(verify.json?["data"]?["message"]?.stringValue?.contains("a new validation record is being issued") == true)
        // The next check asks for a new certificate.
        provider.script(name) { $0.certificate = .pending }
        try await checker.passLater()
        #expect(provider.calls(name).suffix(2) == [.requestCertificate, .certificateStatus])
        #expect(try await domain(tenant, id)?["acm_validation_cname_name"]?.stringValue == ScriptedDomainProvider.validationName(name))
    }

    @Test("concurrent checkers advance each domain once: one provisioning per domain")
    func concurrentCheckers() async throws {
        let tenant = try await Tenant.make()
        var names: [String] = []
        for _ in 0..<12 {
            let name = Fixtures.uniqueDomain("example.com")
            provider.script(name) { $0.certificate = .issued; $0.routing = .deployed }
            _ = try await register(tenant, name)
            names.append(name)
        }
        let clock = ManualWallClock(Date().addingTimeInterval(86_400))
        let outcomes = try await withThrowingTaskGroup(of: [UUID: DomainChecker.Outcome].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await DomainChecker(database: tenant.server.database, provider: provider, settings: .init(batch: 2), clock: clock,
                                            envIds: [tenant.envId], logger: tenant.server.logger).pass()
                }
            }
            return try await group.reduce(into: [UUID: DomainChecker.Outcome]()) { all, one in
                for (id, outcome) in one {
                    #expect(all[id] == nil, "domain \(id) checked by two checkers")
                    all[id] = outcome
                }
            }
        }
        #expect(outcomes.count == 12)
        #expect(Set(outcomes.values) == [.now(.active)])
        for name in names {
            #expect(provider.calls(name).filter { $0 == .provisionRouting }.count == 1, "\(name)")
            #expect(provider.calls(name).filter { $0 == .requestCertificate }.count == 1, "\(name)")
        }
    }

    @Test("a delete while a checker holds the domain: no other checker tears down meanwhile; the holder does, before its next call")
    func deleteDuringCheck() async throws {
        let tenant = try await Tenant.make()
        let name = Fixtures.uniqueDomain("example.com")
        let idText = try #require(try await register(tenant, name)["domain_id"]?.stringValue)
        let id = try #require(UUID(uuidString: idText))
        let store = DomainStore(database: tenant.server.database)
        // A checker holds the domain (as in the middle of a provider call).
        let claim = try #require(try await store.claim(envId: tenant.envId, id: id, now: Date(), lease: .seconds(600)))
        #expect(try await tenant.send(.DELETE, "/v1/domains/\(id.lowercased)").status == 204)
        provider.script(name) { $0.certificate = .issued }
        // Another checker leaves it alone while it is held (the deletion made it due at once).
        let other = DomainChecker(database: tenant.server.database, provider: provider, envIds: [tenant.envId], logger: tenant.server.logger)
        #expect(try await other.pass()[id] == nil)
        #expect(!provider.calls(name).contains(.tearDown))
        // The holder sees the deletion before its next provider call, and tears down.
        let holder = DomainChecker(database: tenant.server.database, provider: provider, envIds: [tenant.envId], logger: tenant.server.logger)
        #expect(try await holder.check(claim, stoppingAt: nil) == .removed)
        #expect(provider.calls(name) == [.requestCertificate, .tearDown])
        #expect(try await domain(tenant, id.lowercased) == nil)
    }

    @Test("a registration never validated is removed after its lifetime, freeing the name")
    func pendingExpires() async throws {
        let tenant = try await Tenant.make()
        let name = Fixtures.uniqueDomain("example.com")
        let idText = try #require(try await register(tenant, name)["domain_id"]?.stringValue)
        let id = try #require(UUID(uuidString: idText))
        let clock = ManualWallClock(Date())
        let checker = DomainChecker(database: tenant.server.database, provider: provider, settings: .init(pendingLifetime: .seconds(86_400)),
                                    clock: clock, envIds: [tenant.envId], logger: tenant.server.logger)
        clock.advance(by: 3600)
        #expect(try await checker.pass()[id] == .now(.pendingValidation))
        clock.advance(by: 86_400)
        #expect(try await checker.pass()[id] == .removed)
        #expect(provider.calls(name).last == .tearDown)
        _ = try await register(try await Tenant.make(), name)
    }
}

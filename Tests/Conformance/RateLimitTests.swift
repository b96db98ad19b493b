import Foundation
import HotImpl
import HotRuntime
import Testing

@Suite("Rate limits")
struct RateLimitTests {
    @Test("a starter org gets 20 requests a second; the 21st is 429 with Retry-After, and time refills the bucket")
    func perOrgLimit() async throws {
        let server = try await TestServer.shared.running()
        let org = try await OrgStore(database: server.database).create(name: "starter-\(UUID().lowercased)", plan: "starter")
        let clock = ManualWallClock()
        let tenant = try await Tenant.make(orgId: org.id, baseURL: try await server.app(clock: clock))
        for request in 1...20 {
            #expect(try await tenant.send(.GET, "/v1/env").status == 200, "request \(request)")
        }
        let limited = try await tenant.send(.GET, "/v1/env")
        #expect(limited.status == 429)
        #expect(limited.json?["error"]?["code"] == "rate_limit_exceeded")
        #expect(limited.headers.first(name: "Retry-After") == "1")
        clock.advance(by: 1)
        #expect(try await tenant.send(.GET, "/v1/env").status == 200)
    }

    @Test("self-hosted orgs are not limited")
    func unlimited() async throws {
        let server = try await TestServer.shared.running()
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: ManualWallClock()))
        for _ in 1...40 {
            #expect(try await tenant.send(.GET, "/v1/env").status == 200)
        }
    }

    @Test("bad tokens from one address are slowed: after the burst, 429 until time passes")
    func failedAuthentication() async throws {
        let server = try await TestServer.shared.running()
        let clock = ManualWallClock()
        let policy = RateLimitPolicy.standard
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: clock, rateLimits: policy))
        let bad = "hot_" + String(repeating: "0", count: 32) + "_" + String(repeating: "1", count: 64)
        for _ in 0..<Int(policy.failedAuthenticationBurst) {
            #expect(try await tenant.send(.GET, "/v1/env", token: bad).status == 401)
        }
        let blocked = try await tenant.send(.GET, "/v1/env", token: bad)
        #expect(blocked.status == 429)
        #expect(blocked.headers.first(name: "Retry-After") != nil)
        clock.advance(by: 1)
        #expect(try await tenant.send(.GET, "/v1/env").status == 200)
    }

    @Test("requests without credentials, or with malformed ones, are 401s however many, and count for nothing")
    func missingCredentialsStay401() async throws {
        let server = try await TestServer.shared.running()
        let policy = RateLimitPolicy.standard
        let tenant = try await Tenant.make(baseURL: try await server.app(clock: ManualWallClock(), rateLimits: policy))
        for index in 0..<(Int(policy.failedAuthenticationBurst) * 2) {
            let reply = index.isMultiple(of: 2)
                ? try await tenant.send(.GET, "/v1/env", authorized: false)
                : try await tenant.send(.GET, "/v1/env", token: "not-a-token")
            #expect(reply.status == 401)
        }
        // The address's allowance for real guesses is untouched.
        let bad = "hot_" + String(repeating: "0", count: 32) + "_" + String(repeating: "1", count: 64)
        #expect(try await tenant.send(.GET, "/v1/env", token: bad).status == 401)
    }
}

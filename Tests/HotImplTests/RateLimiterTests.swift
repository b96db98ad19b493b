import Foundation
import HotImpl
import HotTestSupport
import NIOCore
import Testing

@Suite("RateLimiter")
struct RateLimiterTests {
    @Test("a bucket admits its burst, then answers the whole seconds to wait, and refills with time")
    func tokenBucket() {
        let clock = ManualWallClock()
        let limiter = RateLimiter(clock: clock)
        for _ in 0..<5 { #expect(limiter.take("k", rate: 5, burst: 5) == nil) }
        #expect(limiter.take("k", rate: 5, burst: 5) == 1)
        #expect(limiter.take("slow", rate: 0.25, burst: 1) == nil)
        #expect(limiter.take("slow", rate: 0.25, burst: 1) == 4)
        clock.advance(by: 0.2)
        #expect(limiter.take("k", rate: 5, burst: 5) == nil)
        #expect(limiter.take("k", rate: 5, burst: 5) == 1)
        clock.advance(by: 10)
        for _ in 0..<5 { #expect(limiter.take("k", rate: 5, burst: 5) == nil) }
    }

    @Test("isExhausted looks without taking")
    func peek() {
        let clock = ManualWallClock()
        let limiter = RateLimiter(clock: clock)
        #expect(limiter.isExhausted("k", rate: 1, burst: 1) == nil)
        #expect(limiter.take("k", rate: 1, burst: 1) == nil)
        #expect(limiter.isExhausted("k", rate: 1, burst: 1) == 1)
        #expect(limiter.isExhausted("k", rate: 1, burst: 1) == 1)
        clock.advance(by: 1)
        #expect(limiter.isExhausted("k", rate: 1, burst: 1) == nil)
    }

    @Test("past the threshold, buckets that have refilled are dropped and busy ones kept, by a pass the request does not wait for")
    func pruning() async throws {
        let clock = ManualWallClock()
        let limiter = RateLimiter(clock: clock, pruneThreshold: 100)
        for i in 0..<100 { _ = limiter.take(.named("idle-\(i)"), rate: 10, burst: 10) }
        for _ in 0..<10 { _ = limiter.take("busy", rate: 0.001, burst: 10) }
        clock.advance(by: 1)
        _ = limiter.take("new", rate: 10, burst: 10)
        try await Deadline.within(.seconds(10), waitingFor: "the pruning pass") {
            // Polls the count (no event to wait on); the deadline bounds it.
            while limiter.count != 2 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(limiter.take("busy", rate: 0.001, burst: 10) != nil)
    }
}

@Suite("ClientAddress")
struct ClientAddressTests {
    @Test("IPv4 counts alone, IPv6 by its /64, IPv4-mapped IPv6 as the IPv4 client")
    func keys() throws {
        func key(_ ip: String, port: Int = 1) throws -> ClientAddress.Key {
            ClientAddress.rateLimitKey(try SocketAddress(ipAddress: ip, port: port))
        }
        #expect(try key("192.0.2.7") == key("192.0.2.7", port: 2))
        #expect(try key("192.0.2.7") != key("192.0.2.8"))
        #expect(try key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        #expect(try key("2001:db8:1:2::1") != key("2001:db8:1:3::1"))
        #expect(try key("::ffff:192.0.2.7") == key("192.0.2.7"))
        #expect(try key("::ffff:192.0.2.7") != key("::ffff:192.0.2.8"))
        #expect(ClientAddress.rateLimitKey(nil) == .unknown)
    }
}

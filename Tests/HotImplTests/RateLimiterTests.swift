import Foundation
import HotImpl
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

    @Test("past the threshold, buckets that have refilled are dropped and busy ones kept")
    func pruning() {
        let clock = ManualWallClock()
        let limiter = RateLimiter(clock: clock, pruneThreshold: 100)
        for i in 0..<100 { _ = limiter.take("idle-\(i)", rate: 10, burst: 10) }
        for _ in 0..<10 { _ = limiter.take("busy", rate: 0.001, burst: 10) }
        clock.advance(by: 1)
        _ = limiter.take("new", rate: 10, burst: 10)
        #expect(limiter.count == 2)
        #expect(limiter.take("busy", rate: 0.001, burst: 10) != nil)
    }
}

import Foundation
import HotRuntime
import Synchronization

/// Token buckets by key (an org, or a client address): `rate` tokens a second, holding at most
/// `burst`. In memory, per server process.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Date
        var rate: Double
        var burst: Double

        func refilled(at now: Date) -> Double {
            min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
        }
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    let clock: any WallClock
    /// Past this many buckets, full ones (which hold nothing a new bucket would not) are dropped,
    /// so a stream of distinct addresses cannot grow memory without bound.
    let pruneThreshold: Int

    public init(clock: any WallClock, pruneThreshold: Int = 10_000) {
        self.clock = clock
        self.pruneThreshold = pruneThreshold
    }

    /// How many buckets are held (for tests of pruning).
    public var count: Int { buckets.withLock { $0.count } }

    /// Takes a token; nil when admitted, otherwise the whole seconds until one is available.
    public func take(_ key: String, rate: Double, burst: Double) -> Int? {
        let now = clock.now()
        return buckets.withLock { buckets in
            if buckets.count >= pruneThreshold, buckets[key] == nil {
                buckets = buckets.filter { $0.value.refilled(at: now) < $0.value.burst }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now, rate: rate, burst: burst)
            bucket.tokens = bucket.refilled(at: now)
            bucket.updated = now
            // A plan may change while the server runs: the bucket takes the rate asked for now.
            bucket.rate = rate
            bucket.burst = burst
            bucket.tokens = min(bucket.tokens, burst)
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    /// Whether a bucket is empty right now, without taking from it.
    public func isExhausted(_ key: String, rate: Double, burst: Double) -> Int? {
        let now = clock.now()
        return buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return nil }
            let tokens = bucket.refilled(at: now)
            return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / rate).rounded(.up)))
        }
    }
}

/// How fast callers may go: per org by plan, and per client address for failed authentication.
public struct RateLimitPolicy: Sendable {
    /// Requests per second by plan; absent: unlimited.
    public var requestsPerSecond: [String: Double]
    /// Failed authentications per second per client address, and the burst allowed.
    public var failedAuthenticationsPerSecond: Double
    public var failedAuthenticationBurst: Double

    public init(requestsPerSecond: [String: Double] = ["starter": 20, "pro": 100],
                failedAuthenticationsPerSecond: Double = 5, failedAuthenticationBurst: Double = 20) {
        self.requestsPerSecond = requestsPerSecond
        self.failedAuthenticationsPerSecond = failedAuthenticationsPerSecond
        self.failedAuthenticationBurst = failedAuthenticationBurst
    }

    public static let standard = RateLimitPolicy()

    static func tooManyRequests(retryAfter seconds: Int, _ message: String) -> APIError {
        APIError(status: .tooManyRequests, code: "rate_limit_exceeded", message: message, headers: ["Retry-After": String(seconds)])
    }
}

import Foundation
import HotRuntime
import Synchronization

/// Token buckets by key (an org, or a client address): `rate` tokens a second, holding at most
/// `burst`. In memory, per server process (an org's rate is shared out among the processes by
/// `ServingProcesses`).
public final class RateLimiter: Sendable {
    /// What a bucket counts: hashed as it is, no text made per request.
    public enum Key: Hashable, Sendable, ExpressibleByStringLiteral {
        /// An org's requests (its plan's rate).
        case org(UUID)
        /// A client's failed authentications.
        case failedAuthentication(ClientAddress.Key)
        case named(String)

        public init(stringLiteral name: String) { self = .named(name) }
    }

    struct Bucket {
        var tokens: Double
        var updated: Date
        var rate: Double
        var burst: Double

        func refilled(at now: Date) -> Double {
            min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
        }
    }

    struct State {
        var buckets: [Key: Bucket] = [:]
        /// A pruning pass is under way (one at a time).
        var pruning = false
    }

    private let state = Mutex(State())
    let clock: any WallClock
    /// Past this many buckets, full ones (which hold nothing a new bucket would not) are dropped,
    /// so a stream of distinct addresses cannot grow memory without bound. The pass runs in a task
    /// of its own: the request that crosses the threshold does not wait for it.
    let pruneThreshold: Int

    public init(clock: any WallClock, pruneThreshold: Int = 10_000) {
        self.clock = clock
        self.pruneThreshold = pruneThreshold
    }

    /// How many buckets are held (for tests of pruning).
    public var count: Int { state.withLock { $0.buckets.count } }

    /// Takes a token; nil when admitted, otherwise the whole seconds until one is available.
    public func take(_ key: Key, rate: Double, burst: Double) -> Int? {
        let now = clock.now()
        let (wait, prune) = state.withLock { state -> (Int?, Bool) in
            var prune = false
            if state.buckets.count >= pruneThreshold, !state.pruning {
                state.pruning = true
                prune = true
            }
            var bucket = state.buckets[key] ?? Bucket(tokens: burst, updated: now, rate: rate, burst: burst)
            bucket.tokens = bucket.refilled(at: now)
            bucket.updated = now
            // A plan (or the number of processes sharing it) may change while the server runs:
            // the bucket takes the rate asked for now.
            bucket.rate = rate
            bucket.burst = burst
            bucket.tokens = min(bucket.tokens, burst)
            defer { state.buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return (nil, prune)
            }
            return (max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))), prune)
        }
        if prune {
            Task.detached(priority: .background) { self.prune() }
        }
        return wait
    }

    /// Drops the full buckets (a bucket made anew would be the same).
    public func prune() {
        let now = clock.now()
        state.withLock { state in
            state.buckets = state.buckets.filter { $0.value.refilled(at: now) < $0.value.burst }
            state.pruning = false
        }
    }

    /// Whether a bucket is empty right now, without taking from it.
    public func isExhausted(_ key: Key, rate: Double, burst: Double) -> Int? {
        let now = clock.now()
        return state.withLock { state in
            guard let bucket = state.buckets[key] else { return nil }
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

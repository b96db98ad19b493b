/// What each plan allows (-1 = unlimited). Self-hosted and enterprise deployments have no limits,
/// as the reference implementation resolves an org without a subscription.
public struct PlanLimits: Sendable, Equatable {
    public var displayName: String
    public var runsPerMonth: Int
    public var storageBytes: Int
    public var teamMembers: Int
    public var callRetentionDays: Int
    public var callStorageBytes: Int
    /// Custom domains per org (0: the plan has none).
    public var customDomains: Int
    /// Whether the plan has service keys.
    public var serviceKeys: Bool

    static let gibibyte = 1024 * 1024 * 1024

    /// The largest file the files API takes: 100 MiB on the hosted plans, 50 GiB (the reference's
    /// ceiling for "unlimited") otherwise.
    public var fileUploadMaxBytes: Int64 {
        storageBytes < 0 ? 50 * Int64(Self.gibibyte) : 100 * 1024 * 1024
    }

    public static func of(plan: String) -> PlanLimits {
        switch plan {
        case "starter":
            PlanLimits(displayName: "Starter", runsPerMonth: 1_000, storageBytes: gibibyte / 4, teamMembers: 3,
                       callRetentionDays: 7, callStorageBytes: gibibyte, customDomains: 0, serviceKeys: false)
        case "pro":
            PlanLimits(displayName: "Pro", runsPerMonth: 10_000, storageBytes: gibibyte, teamMembers: 10,
                       callRetentionDays: 30, callStorageBytes: 5 * gibibyte, customDomains: 5, serviceKeys: true)
        case "scale":
            PlanLimits(displayName: "Scale", runsPerMonth: 100_000, storageBytes: 10 * gibibyte, teamMembers: 50,
                       callRetentionDays: 90, callStorageBytes: 50 * gibibyte, customDomains: 25, serviceKeys: true)
        case "enterprise":
            .unlimited(displayName: "Enterprise")
        default:
            .unlimited(displayName: "Self-Hosted")
        }
    }

    static func unlimited(displayName: String) -> PlanLimits {
        PlanLimits(displayName: displayName, runsPerMonth: -1, storageBytes: -1, teamMembers: -1, callRetentionDays: -1, callStorageBytes: -1,
                   customDomains: -1, serviceKeys: true)
    }

    /// Usage as a percentage of a limit (0 for an unlimited one; may exceed 100).
    public static func percent(_ used: Int, of limit: Int) -> Double {
        guard limit > 0 else { return 0 }
        return (Double(used) * 10_000 / Double(limit)).rounded() / 100
    }
}

import Foundation
import Generated
import HotRuntime

extension HotService {
    public func getOrgUsage(_ input: GetOrgUsage.Input, context: HotRequestContext) async throws -> GetOrgUsage.Output {
        let credential = try context.requireCredential()
        let (start, end) = Self.billingPeriod(containing: clock.now())
        guard let usage = try await self.usage.usage(orgId: credential.orgId, from: start, to: end) else {
            throw APIError.notFound("Organization not found")
        }
        let limits = PlanLimits.of(plan: usage.plan)
        // A self-hosted server has no team accounts, call storage, store or compute metering: those count zero.
        let stats = OrgUsageStats(runsThisPeriod: usage.runs, fileStorageBytes: usage.storedBytes, teamMembers: 0,
                                  callStorageBytes: 0, callCount: 0, storeStorageBytes: 0, activeSchedules: usage.activeSchedules)
        let runs = PlanLimits.percent(stats.runsThisPeriod, of: limits.runsPerMonth)
        let fileStorage = PlanLimits.percent(stats.fileStorageBytes, of: limits.storageBytes)
        let teamMembers = PlanLimits.percent(stats.teamMembers, of: limits.teamMembers)
        let callStorage = PlanLimits.percent(stats.callStorageBytes, of: limits.callStorageBytes)
        // No plan here limits the store, compute, task minutes or schedules.
        let unlimited = -1
        return .ok(OrgUsage(
            orgId: credential.orgId, usage: stats,
            limits: OrgLimits(runsPerMonth: limits.runsPerMonth, storageBytes: limits.storageBytes, teamMembers: limits.teamMembers,
                              callRetentionDays: limits.callRetentionDays, callStorageBytes: limits.callStorageBytes,
                              storeStorageBytes: unlimited, computeUnitsPerMonth: unlimited, computeUnitsUsed: 0,
                              computeUnitsBudget: unlimited, taskMinutesPerMonth: unlimited, activeSchedulesPerOrg: unlimited),
            usagePercent: OrgUsagePercent(runs: runs, fileStorage: fileStorage, teamMembers: teamMembers, callStorage: callStorage,
                                          hasWarning: [runs, fileStorage, teamMembers, callStorage].contains { $0 > 90 },
                                          storeStorage: 0, activeSchedules: 0),
            plan: OrgPlan(name: limits.displayName, periodStart: start, periodEnd: end)))
    }

    /// The calendar month (UTC) holding `date`: the plan's period.
    public static func billingPeriod(containing date: Date) -> (start: Date, end: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = calendar.dateComponents([.year, .month], from: date)
        let start = calendar.date(from: components)!
        let end = calendar.date(byAdding: .month, value: 1, to: start)!
        return (start, end)
    }
}

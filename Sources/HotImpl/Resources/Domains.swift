import Foundation
import Generated
import HotRuntime

extension HotService {
    public func listDomains(_ input: ListDomains.Input, context: HotRequestContext) async throws -> ListDomains.Output {
        let credential = try apiKey(context, managing: "custom domains")
        let page = try await domains.list(envId: credential.envId, page: PageRequest(limit: input.limit, offset: input.offset))
        return .ok(Page(items: page.items.map(Self.domain), total: page.total, limit: page.limit, offset: page.offset))
    }

    public func createDomain(_ input: CreateDomain.Input, context: HotRequestContext) async throws -> CreateDomain.Output {
        let credential = try apiKey(context, managing: "custom domains")
        let name: String
        do throws(DomainName.Invalid) {
            name = try DomainName.normalize(input.body.domain)
        } catch {
            throw APIError.badRequest(error.description)
        }
        let limit = PlanLimits.of(plan: credential.plan).customDomains
        guard limit != 0 else { throw planRequired("Custom domains") }
        let claim = try await domains.create(
            envId: credential.envId, orgId: credential.orgId, name: name, limit: limit, now: clock.now(), lease: domainChecker.settings.lease)
        return .created(Self.domain(try await domainChecker.requestCertificate(claim)))
    }

    public func getDomain(_ input: GetDomain.Input, context: HotRequestContext) async throws -> GetDomain.Output {
        let credential = try apiKey(context, managing: "custom domains")
        return .ok(Self.domain(try await domain(input.domainId, of: credential)))
    }

    public func deleteDomain(_ input: DeleteDomain.Input, context: HotRequestContext) async throws -> DeleteDomain.Output {
        let credential = try apiKey(context, managing: "custom domains")
        guard try await domains.markDeleting(envId: credential.envId, id: input.domainId, now: clock.now()) else {
            throw APIError.notFound("Domain not found")
        }
        return .noContent
    }

    public func verifyDomain(_ input: VerifyDomain.Input, context: HotRequestContext) async throws -> VerifyDomain.Output {
        let credential = try apiKey(context, managing: "custom domains")
        var record = try await domain(input.domainId, of: credential)
        if [.pendingValidation, .provisioning].contains(record.status) {
            // One check now; while another checker holds the domain, its current state is the answer.
            _ = try await domainChecker.verify(envId: credential.envId, id: record.id)
            record = try await domain(input.domainId, of: credential)
        }
        return .ok(DomainVerification(domainId: record.id, domain: record.name, status: record.status, message: Self.message(record)))
    }

    private func domain(_ id: UUID, of credential: Credential) async throws -> DomainRecord {
        guard let record = try await domains.find(envId: credential.envId, id: id) else { throw APIError.notFound("Domain not found") }
        return record
    }

    static func domain(_ record: DomainRecord) -> Domain {
        var records: [DnsRecord] = []
        if let name = record.validationName, let value = record.validationValue {
            records.append(DnsRecord(type: "CNAME", name: name, value: value, purpose: "certificate_validation"))
        }
        if let routing = record.routingDomain {
            records.append(DnsRecord(type: "CNAME", name: record.name, value: routing, purpose: "traffic"))
        }
        return Domain(domainId: record.id, envId: record.envId, domain: record.name, status: record.status,
                      acmValidationCnameName: record.validationName, acmValidationCnameValue: record.validationValue,
                      cfDistributionDomain: record.routingDomain, createdAt: record.createdAt, dnsRecords: records,
                      routingDomain: record.routingDomain, verifiedAt: record.validatedAt, tlsProvisionedAt: record.activeAt,
                      provisioningError: record.provisioningError)
    }

    /// What the customer should do or expect next.
    static func message(_ record: DomainRecord) -> String {
        let setback = record.provisioningError.map { " \($0)" } ?? ""
        switch record.status {
        case .pendingValidation:
            guard let name = record.validationName, let value = record.validationValue else {
                return "The validation record is being issued; check again shortly." + setback
            }
            return "Add a CNAME record: \(name) → \(value)" + setback
        case .validated:
            return "Domain validated successfully — routing provisioning in progress" + setback
        case .provisioning:
            let target = record.routingDomain.map { ": add a CNAME record \(record.name) → \($0)" } ?? ""
            return "Domain validated — routing is being provisioned\(target)" + setback
        case .active:
            return "Domain is active and serving traffic."
        case .deleting:
            return "Domain is being deleted."
        }
    }
}

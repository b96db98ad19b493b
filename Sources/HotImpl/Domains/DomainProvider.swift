import Foundation
import Generated
import HotRuntime

/// A custom domain as stored, with what its provider created for it.
public struct DomainRecord: Sendable, Equatable {
    public var id: UUID
    public var envId: UUID
    /// Lower-case ASCII (DomainName).
    public var name: String
    /// The spec's `DomainStatus`.
    public var status: DomainStatus
    /// The provider's handle on the certificate (an ARN for ACM); nil until requested.
    public var certificateRef: String?
    public var validationName: String?
    public var validationValue: String?
    /// The provider's handle on the routing (a CloudFront distribution id); nil until provisioned.
    public var routingRef: String?
    /// The host name the customer's CNAME points to (`cf_distribution_domain`).
    public var routingDomain: String?
    public var provisioningError: String?
    public var attempts: Int
    public var createdAt: Date
    /// When ownership was validated, and when the domain became active.
    public var validatedAt: Date? = nil
    public var activeAt: Date? = nil
}

/// The DNS record that proves ownership of a domain, and the certificate it unlocks.
public struct DomainCertificate: Sendable, Equatable {
    public var reference: String
    public var validationName: String
    public var validationValue: String

    public init(reference: String, validationName: String, validationValue: String) {
        self.reference = reference
        self.validationName = validationName
        self.validationValue = validationValue
    }
}

public enum CertificateStatus: Sendable, Equatable {
    case pending
    case issued
    /// The certificate can never be issued (e.g. validation timed out): a new one is requested.
    case failed(String)
}

/// What routes a domain's traffic once its certificate is issued.
public struct DomainRouting: Sendable, Equatable {
    public var reference: String
    /// Where the customer's CNAME must point.
    public var domain: String

    public init(reference: String, domain: String) {
        self.reference = reference
        self.domain = domain
    }
}

public enum RoutingStatus: Sendable, Equatable {
    case deploying
    case deployed
}

/// The seam between the domain checker and whatever provisions certificates and routing: DNS
/// checks alone for a self-hosted server (DNSDomainProvider), ACM and CloudFront for a cloud one.
/// The checker calls one method at a time per domain and records each answer before the next, so a
/// provider keeps no state of its own; every call may be repeated after a crash and must tolerate it.
public protocol DomainProvider: Sendable {
    /// Requests a certificate; answers the validation record the customer must add.
    func requestCertificate(for domain: DomainRecord) async throws -> DomainCertificate
    /// Whether the certificate requested for `domain` (its `certificateRef`) is issued.
    func certificateStatus(of domain: DomainRecord) async throws -> CertificateStatus
    /// Creates the routing for a validated domain.
    func provisionRouting(for domain: DomainRecord) async throws -> DomainRouting
    /// Whether the routing (`routingRef`) serves traffic.
    func routingStatus(of domain: DomainRecord) async throws -> RoutingStatus
    /// Removes whatever was created for `domain` (either reference may be nil); succeeds once
    /// nothing is left, including when nothing was ever created.
    func tearDown(_ domain: DomainRecord) async throws
}

/// The self-hosted provider: no certificate authority and no CDN, only DNS. The validation record
/// is derived from the domain, its env and the server's key (so it is the same on every process and
/// no one else can compute it); a real DNS lookup of its CNAME proves ownership. Routing is the
/// configured target host, live once the domain itself is a CNAME of it.
public struct DNSDomainProvider: DomainProvider {
    let lookup: any DNSLookup
    /// The host name custom domains point at (this server's public name).
    let target: String
    let secrets: SecretBox

    public init(lookup: any DNSLookup, target: String, secrets: SecretBox) {
        self.lookup = lookup
        self.target = target
        self.secrets = secrets
    }

    /// The record `domain` must carry in `env`: `_<32 hex>.<domain>` CNAME `_<32 hex>.<target>`.
    public func validationRecord(domain: String, envId: UUID) -> (name: String, value: String) {
        func token(_ part: String) -> String {
            HexString.lowercase(secrets.authenticationCode("\(part)|\(envId.lowercased)|\(domain)", purpose: "domain-validation")
                .prefix(16))
        }
        return ("_\(token("name")).\(domain)", "_\(token("value")).\(target)")
    }

    public func requestCertificate(for domain: DomainRecord) async throws -> DomainCertificate {
        let record = validationRecord(domain: domain.name, envId: domain.envId)
        return DomainCertificate(reference: "dns:\(record.name)", validationName: record.name, validationValue: record.value)
    }

    public func certificateStatus(of domain: DomainRecord) async throws -> CertificateStatus {
        let record = validationRecord(domain: domain.name, envId: domain.envId)
        return try await lookup.cnames(of: record.name).contains(record.value.lowercased()) ? .issued : .pending
    }

    public func provisionRouting(for domain: DomainRecord) async throws -> DomainRouting {
        DomainRouting(reference: "dns:\(domain.name)", domain: target)
    }

    public func routingStatus(of domain: DomainRecord) async throws -> RoutingStatus {
        try await lookup.cnames(of: domain.name).contains(target.lowercased()) ? .deployed : .deploying
    }

    public func tearDown(_ domain: DomainRecord) async throws {}
}

import Foundation
import HotImpl
import Synchronization

/// A domain provider that answers as each test scripts it, per domain (tests use names of their
/// own, so they never see each other's), and records the calls it gets.
public final class ScriptedDomainProvider: DomainProvider {
    public struct Script: Sendable {
        public var certificate: CertificateStatus = .pending
        public var routing: RoutingStatus = .deploying
        /// Every call about the domain throws.
        public var failing = false
    }

    public enum Call: String, Sendable {
        case requestCertificate, certificateStatus, provisionRouting, routingStatus, tearDown
    }

    struct Failure: Error {}

    private let scripts = Mutex<[String: Script]>([:])
    private let log = Mutex<[String: [Call]]>([:])

    public init() {}

    public func script(_ domain: String, _ change: (inout Script) -> Void) {
        scripts.withLock { change(&$0[domain, default: Script()]) }
    }

    /// The calls made about `domain`, in order.
    public func calls(_ domain: String) -> [Call] {
        log.withLock { $0[domain] ?? [] }
    }

    /// What the provider answers as the validation record and routing of `domain`.
    public static func validationName(_ domain: String) -> String { "_check.\(domain)" }
    public static let validationValue = "_token.validations.test"
    public static func routingDomain(_ domain: String) -> String { "d-\(domain.replacingOccurrences(of: ".", with: "-")).routing.test" }

    private func record(_ call: Call, _ domain: DomainRecord) throws -> Script {
        log.withLock { $0[domain.name, default: []].append(call) }
        let script = scripts.withLock { $0[domain.name] ?? Script() }
        if script.failing { throw Failure() }
        return script
    }

    public func requestCertificate(for domain: DomainRecord) async throws -> DomainCertificate {
        _ = try record(.requestCertificate, domain)
        return DomainCertificate(reference: "cert-\(UUID().uuidString)", validationName: Self.validationName(domain.name), validationValue: Self.validationValue)
    }

    public func certificateStatus(of domain: DomainRecord) async throws -> CertificateStatus {
        try record(.certificateStatus, domain).certificate
    }

    public func provisionRouting(for domain: DomainRecord) async throws -> DomainRouting {
        _ = try record(.provisionRouting, domain)
        return DomainRouting(reference: "dist-\(UUID().uuidString)", domain: Self.routingDomain(domain.name))
    }

    public func routingStatus(of domain: DomainRecord) async throws -> RoutingStatus {
        try record(.routingStatus, domain).routing
    }

    public func tearDown(_ domain: DomainRecord) async throws {
        _ = try record(.tearDown, domain)
    }
}

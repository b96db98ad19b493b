import Foundation
import Generated
import HotTestSupport
import Testing

@testable import HotImpl
@testable import HotRuntime

@Suite("Domain names")
struct DomainNameTests {
    /// RFC 3492 section 7.1 samples and common names.
    @Test("Punycode encodes and decodes the RFC 3492 samples", arguments: [
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
        ("ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
        ("Pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a"),
        ("почемужеонинеговорятпорусски", "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
        ("-> $1.00 <-", "-> $1.00 <--"),
    ])
    func punycode(_ sample: (String, String)) {
        #expect(Punycode.encode(sample.0) == sample.1)
        #expect(Punycode.decode(sample.1) == sample.0)
    }

    @Test("malformed Punycode is refused, never trapped on")
    func malformedPunycode() {
        for text in ["99999999999999", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "a-!", "ü", "-"] {
            _ = Punycode.decode(text)  // must return, whatever it returns
        }
        #expect(Punycode.decode("a-!") == nil)
        #expect(Punycode.decode("ü") == nil)
        #expect(Punycode.decode("99999999999999") == nil)
    }

    @Test("normalised forms")
    func normalised() throws {
        #expect(try DomainName.normalize("MCP.Example.COM") == "mcp.example.com")
        #expect(try DomainName.normalize("Bücher.Example") == "xn--bcher-kva.example")
        #expect(try DomainName.normalize("xn--bcher-kva.example") == "xn--bcher-kva.example")
        // NFC first: u + combining diaeresis is ü.
        #expect(try DomainName.normalize("bu\u{308}cher.example") == "xn--bcher-kva.example")
        #expect(try DomainName.normalize("a1-b.c2") == "a1-b.c2")
        #expect(try DomainName.normalize(String(repeating: "a", count: 63) + ".com").count == 67)
        #expect(try DomainName.normalize("localhost", minimumLabels: 1) == "localhost")
    }

    @Test("refused", arguments: [
        "", "com", "example.com.", ".example.com", "a..example.com", "*.example.com", "10.0.0.1", "2001:db8::1",
        "https://example.com", "example.com/path", "-a.example.com", "a-.example.com", "a_b.example.com",
        String(repeating: "a", count: 64) + ".com", "ab--cd.example.com", "xn--.example.com", "xn--bcher-kva-.example",
        "exa mple.com", "exam\u{0}ple.com", "a.b.c.d.e.f.1", "☃.example.com", "x\u{200B}y.example.com",
    ])
    func refused(_ name: String) {
        #expect(throws: DomainName.Invalid.self) { try DomainName.normalize(name) }
    }

    @Test("the DNS provider's record is deterministic per domain and env, and checked with a real lookup")
    func dnsProvider() async throws {
        let server = try await TestDNSServer()
        do {
            try await checkDNSProvider(server)
            try await server.close()
        } catch {
            try? await server.close()
            throw error
        }
    }

    func checkDNSProvider(_ server: TestDNSServer) async throws {
        let secrets = SecretBox(keyBytes: Array(repeating: 7, count: 32))
        let provider = DNSDomainProvider(lookup: DNSResolver(server: server.address, timeout: .seconds(2)), target: "hot.example.net", secrets: secrets)
        let env = UUID()
        var domain = DomainRecord(id: UUID(), envId: env, name: "mcp.example.com", status: .pendingValidation, attempts: 0, createdAt: Date())
        let certificate = try await provider.requestCertificate(for: domain)
        #expect(certificate.validationName.hasPrefix("_") && certificate.validationName.hasSuffix(".mcp.example.com"))
        #expect(certificate.validationValue.hasSuffix(".hot.example.net"))
        #expect(try await provider.requestCertificate(for: domain) == certificate)
        let otherEnv = DomainRecord(id: UUID(), envId: UUID(), name: "mcp.example.com", status: .pendingValidation, attempts: 0, createdAt: Date())
        #expect(try await provider.requestCertificate(for: otherEnv).validationName != certificate.validationName)
        let otherKey = DNSDomainProvider(lookup: DNSResolver(server: server.address), target: "hot.example.net",
                                         secrets: SecretBox(keyBytes: Array(repeating: 8, count: 32)))
        #expect(try await otherKey.requestCertificate(for: domain).validationValue != certificate.validationValue)

        domain.certificateRef = certificate.reference
        #expect(try await provider.certificateStatus(of: domain) == .pending)
        server.setCNAME(certificate.validationName, to: "_wrong.hot.example.net")
        #expect(try await provider.certificateStatus(of: domain) == .pending)
        server.setCNAME(certificate.validationName.uppercased(), to: certificate.validationValue.uppercased() + ".")
        #expect(try await provider.certificateStatus(of: domain) == .issued)

        let routing = try await provider.provisionRouting(for: domain)
        #expect(routing.domain == "hot.example.net")
        #expect(try await provider.routingStatus(of: domain) == .deploying)
        server.setCNAME("mcp.example.com", to: "hot.example.net")
        #expect(try await provider.routingStatus(of: domain) == .deployed)
        server.setMode(.serverFailure)
        await #expect(throws: DNSError.self) { try await provider.routingStatus(of: domain) }
    }
}

extension DomainRecord {
    init(id: UUID, envId: UUID, name: String, status: DomainStatus, attempts: Int, createdAt: Date) {
        self.init(id: id, envId: envId, name: name, status: status, certificateRef: nil, validationName: nil, validationValue: nil,
                  routingRef: nil, routingDomain: nil, provisioningError: nil, attempts: attempts, createdAt: createdAt)
    }
}

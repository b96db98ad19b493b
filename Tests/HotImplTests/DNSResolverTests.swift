import Foundation
import NIOCore
import Testing

import HotTestSupport
@testable import HotImpl

/// Starts a server, runs `body` with it and a resolver pointed at it, and always closes the server.
private func withServer(
    timeout: Duration = .seconds(2),
    _ body: (TestDNSServer, DNSResolver) async throws -> Void
) async throws {
    let server = try await TestDNSServer()
    let resolver = DNSResolver(server: server.address, timeout: timeout)
    do {
        try await body(server, resolver)
        try await server.close()
    } catch {
        try? await server.close()
        throw error
    }
}

@Suite struct RoundTripTests {
    @Test func findsCNAME() async throws {
        try await withServer { server, resolver throws in
            server.setCNAME("_abc.mcp.example.com", to: "_XYZ.Validations.Example.NET.")
            #expect(try await resolver.cnames(of: "_ABC.Mcp.Example.com.") == ["_xyz.validations.example.net"])
            #expect(try await resolver.cnames(of: "_abc.mcp.example.com") == ["_xyz.validations.example.net"])
            #expect(server.queries == 2)
        }
    }

    @Test func unknownOrRemovedNameIsEmpty() async throws {
        try await withServer { server, resolver throws in
            #expect(try await resolver.cnames(of: "nothing.example.com") == [])
            server.setCNAME("gone.example.com", to: "target.example.net")
            #expect(try await resolver.cnames(of: "gone.example.com") == ["target.example.net"])
            server.remove("gone.example.com")
            #expect(try await resolver.cnames(of: "gone.example.com") == [])
        }
    }

    @Test func serverFailureThrows() async throws {
        try await withServer { server, resolver throws in
            server.setCNAME("a.example.com", to: "b.example.net")
            server.setMode(.serverFailure)
            await #expect(throws: DNSError.serverFailure(rcode: 2)) {
                try await resolver.cnames(of: "a.example.com")
            }
        }
    }

    @Test func droppedQueryTimesOut() async throws {
        try await withServer(timeout: .milliseconds(200)) { server, resolver throws in
            server.setMode(.drop)
            await #expect(throws: DNSError.timeout) {
                try await resolver.cnames(of: "a.example.com")
            }
            #expect(server.queries == 0)
        }
    }

    @Test func invalidNamesThrowBeforeSending() async throws {
        try await withServer { server, resolver throws in
            let longLabel = String(repeating: "a", count: 64) + ".example.com"
            let longName = Array(repeating: String(repeating: "b", count: 60), count: 5).joined(separator: ".")
            for name in [longLabel, longName, "", ".", "a..b.com"] {
                await #expect(throws: DNSError.invalidName(name)) {
                    try await resolver.cnames(of: name)
                }
            }
            #expect(server.queries == 0)
        }
    }

    @Test func ipv6ServerAddressUsesIPv6Socket() async throws {
        // Nothing listens on [::1]:1 (or IPv6 is unavailable): either way the lookup must throw, not hang.
        let resolver = DNSResolver(server: try DNSResolver.address("[::1]:1"), timeout: .milliseconds(200))
        await #expect(throws: (any Error).self) { try await resolver.cnames(of: "a.example.com") }
    }
}

@Suite struct ParserTests {
    let id: UInt16 = 0xBEEF
    let question = "_abc.mcp.example.com"

    /// Header + question for `question` with the given flags and answer count.
    func header(flags: UInt16 = 0x8180, answers: UInt8 = 1) throws -> [UInt8] {
        var bytes = try DNSMessage.query(for: question, id: id)
        bytes[2] = UInt8(flags >> 8)
        bytes[3] = UInt8(flags & 0xFF)
        bytes[7] = answers
        return bytes
    }

    func record(owner: [UInt8], type: UInt8 = 5, rdata: [UInt8], rdlength: Int? = nil) -> [UInt8] {
        let length = rdlength ?? rdata.count
        return owner + [0, type, 0, 1, 0, 0, 0, 60, UInt8(length >> 8), UInt8(length & 0xFF)] + rdata
    }

    @Test func parsesCompressedAnswerWithMixedCaseOwner() throws {
        // Owner spelled in upper case (uncompressed); target partly compressed: "_xyz" + pointer to "example.com" in question.
        let owner = try DNSMessage.encodeName("_ABC.MCP.EXAMPLE.COM")
        let exampleOffset = 12 + 5 + 4  // "_abc" and "mcp" labels
        let bytes = try header() + record(owner: owner, rdata: [4] + Array("_XYZ".utf8) + [0xC0, UInt8(exampleOffset)])
        #expect(try DNSMessage.parseCNAMEs(bytes, question: question, id: id) == ["_xyz.example.com"])
    }

    @Test func skipsOtherRecordTypesAndOwners() throws {
        let other = try DNSMessage.encodeName("other.example.com")
        let bytes = try header(answers: 3)
            + record(owner: [0xC0, 12], type: 1, rdata: [1, 2, 3, 4])
            + record(owner: other, rdata: try DNSMessage.encodeName("no.example"))
            + record(owner: [0xC0, 12], rdata: try DNSMessage.encodeName("yes.example"))
        #expect(try DNSMessage.parseCNAMEs(bytes, question: question, id: id) == ["yes.example"])
    }

    @Test func ignoresRepliesToOtherQueries() throws {
        let good = try header() + record(owner: [0xC0, 12], rdata: try DNSMessage.encodeName("t.example"))
        #expect(try DNSMessage.parseCNAMEs(good, question: question, id: id &+ 1) == nil)  // other id
        #expect(try DNSMessage.parseCNAMEs(good, question: "other.example.com", id: id) == nil)  // other question
        #expect(try DNSMessage.parseCNAMEs(try header(flags: 0x0100), question: question, id: id) == nil)  // a query
        #expect(try DNSMessage.parseCNAMEs([0xBE], question: question, id: id) == nil)  // too short
    }

    @Test func rcodesAndTruncation() throws {
        #expect(try DNSMessage.parseCNAMEs(try header(flags: 0x8183, answers: 0), question: question, id: id) == [])
        #expect(throws: DNSError.serverFailure(rcode: 5)) {
            try DNSMessage.parseCNAMEs(try header(flags: 0x8185, answers: 0), question: question, id: id)
        }
        #expect(throws: DNSError.truncated) {
            try DNSMessage.parseCNAMEs(try header(flags: 0x8380, answers: 0), question: question, id: id)
        }
    }

    @Test(arguments: [
        "pointer loop in owner",
        "pointer to itself in rdata",
        "pointer out of range",
        "label past the end",
        "truncated record header",
        "rdlength past the end",
        "rdata shorter than its name",
        "extended label type",
        "answer count larger than records",
    ])
    func malformedAnswersThrow(_ kind: String) throws {
        let end = try header().count  // offset of the first answer record
        let target = try DNSMessage.encodeName("t.example")
        let good = try header() + record(owner: [0xC0, 12], rdata: target)
        let bytes: [UInt8] = switch kind {
        case "pointer loop in owner": try header() + [0xC0, UInt8(end + 2), 0xC0, UInt8(end)]
        case "pointer to itself in rdata": try header() + record(owner: [0xC0, 12], rdata: [0xC0, UInt8(end + 12)])
        case "pointer out of range": try header() + record(owner: [0xFF, 0xFF], rdata: target)
        case "label past the end": try header() + [40, 0x61]
        case "truncated record header": Array(good[..<(end + 6)])
        case "rdlength past the end": try header() + record(owner: [0xC0, 12], rdata: target, rdlength: 200)
        case "rdata shorter than its name": try header() + record(owner: [0xC0, 12], rdata: target, rdlength: 3) + [0, 0, 0, 0]
        case "extended label type": try header() + record(owner: [0xC0, 12], rdata: [0x41, 0])
        default: try header(answers: 2) + record(owner: [0xC0, 12], rdata: target)
        }
        #expect(throws: DNSError.malformedAnswer) {
            try DNSMessage.parseCNAMEs(bytes, question: question, id: id)
        }
    }

    @Test func queryEncoding() throws {
        let query = try DNSMessage.query(for: "a.bc", id: 0x1234)
        #expect(query == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 2, 0x62, 0x63, 0, 0, 5, 0, 1])
        let maxName = Array(repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".")
            + "." + String(repeating: "y", count: 61)  // 4 * 64 - 2 + 1 = 255 octets
        #expect(try DNSMessage.encodeName(maxName).count == 255)
        #expect(throws: DNSError.invalidName(maxName + "z")) { try DNSMessage.encodeName(maxName + "z") }
    }
}

@Suite struct ConfigurationTests {
    @Test func parsesAddresses() throws {
        #expect(try DNSResolver.address("10.0.0.2") == SocketAddress(ipAddress: "10.0.0.2", port: 53))
        #expect(try DNSResolver.address("127.0.0.1:5353") == SocketAddress(ipAddress: "127.0.0.1", port: 5353))
        #expect(try DNSResolver.address("[::1]:5353") == SocketAddress(ipAddress: "::1", port: 5353))
        #expect(try DNSResolver.address("[2001:db8::1]") == SocketAddress(ipAddress: "2001:db8::1", port: 53))
        #expect(try DNSResolver.address("2001:db8::1") == SocketAddress(ipAddress: "2001:db8::1", port: 53))
        for bad in ["", "example.com", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:x", "[::1", "[::1]x", "[::1]:"] {
            #expect(throws: DNSError.invalidAddress(bad)) { try DNSResolver.address(bad) }
        }
    }

    @Test func readsFirstNameserverFromResolvConf() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolv-\(UUID()).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = """
            # Generated by something
            ; nameserver 9.9.9.9
            search example.com
            options ndots:5
              nameserver   10.0.0.2   # primary
            nameserver 10.0.0.3
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DNSResolver.systemServer(resolvConf: path) == (try SocketAddress(ipAddress: "10.0.0.2", port: 53)))

        try "# nothing here\nsearch example.com\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DNSResolver.systemServer(resolvConf: path) == nil)
        #expect(DNSResolver.systemServer(resolvConf: path + ".missing") == nil)
    }
}

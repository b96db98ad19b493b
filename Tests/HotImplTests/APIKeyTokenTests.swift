import Foundation
@testable import HotImpl
import HotRuntime
import Testing

@Suite("APIKeyToken")
struct APIKeyTokenTests {
    static let hex32 = "0123456789abcdef0123456789abcdef"
    static let hex64 = String(repeating: "0123456789abcdef", count: 4)

    @Test("generate → text → parse gives the same token back")
    func roundTrip() throws {
        for _ in 0..<50 {
            let token = APIKeyToken.generate(keyId: UUID.v7())
            let parsed = try #require(APIKeyToken.parse(token.text))
            #expect(parsed == token)
        }
    }

    @Test("the text is hot_<key id as 32 lowercase hex>_<64 hex secret>")
    func shape() throws {
        let keyId = try #require(UUID(uuidString: "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B"))
        let token = APIKeyToken.generate(keyId: keyId)
        let parts = token.text.split(separator: "_", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(parts[0] == "hot")
        #expect(parts[1] == "0190a1b2c3d47e5f8a6b7c8d9e0f1a2b")
        #expect(parts[2].count == 64)
        #expect(parts[2].allSatisfy { "0123456789abcdef".contains($0) })
        #expect(APIKeyToken.parse(token.text)?.keyId == keyId)
    }

    @Test("two generated tokens for the same key have different secrets")
    func secretsDiffer() {
        let keyId = UUID.v7()
        #expect(APIKeyToken.generate(keyId: keyId).secret != APIKeyToken.generate(keyId: keyId).secret)
    }

    @Test("a well-formed token parses; its secret is normalised to lowercase")
    func parsesWellFormed() throws {
        let parsed = try #require(APIKeyToken.parse("hot_\(Self.hex32)_\(Self.hex64.uppercased())"))
        #expect(parsed.keyId == UUID(uuidString: "01234567-89AB-CDEF-0123-456789ABCDEF"))
        #expect(parsed.secret == Self.hex64)
    }

    @Test("malformed tokens do not parse", arguments: [
        "",
        "hot",
        "hot__",
        "key_\(hex32)_\(hex64)",                  // wrong prefix
        "HOT_\(hex32)_\(hex64)",                  // prefix is case-sensitive
        "_\(hex32)_\(hex64)",                     // no prefix
        "hot_\(hex32.dropLast())_\(hex64)",       // key id 31 digits
        "hot_\(hex32)0_\(hex64)",                 // key id 33 digits
        "hot_\(hex32)_\(hex64.dropLast())",       // secret 63 digits
        "hot_\(hex32)_\(hex64)0",                 // secret 65 digits
        "hot_\(hex32.dropLast())g_\(hex64)",      // non-hex in the key id
        "hot_\(hex32)_\(hex64.dropLast())g",      // non-hex in the secret
        "hot_01234567-89ab-cdef-0123-456789abcdef_\(hex64)",  // dashed key id
        "hot_\(hex32)_\(hex64)_extra",            // extra part
        "hot_\(hex32)_\(hex64)_",                 // trailing separator
        "hot_hot_\(hex32)_\(hex64)",              // extra part up front
        " hot_\(hex32)_\(hex64)",                 // surrounding whitespace
        "hot_\(hex32)_\(hex64) ",
        // Fullwidth forms count as hex digits for Character.isHexDigit; the token is ASCII.
        "hot_\(hex32)_\(hex64.dropLast())\u{FF41}",
    ])
    func rejectsMalformed(text: String) {
        #expect(APIKeyToken.parse(text) == nil)
    }
}

@Suite("BearerToken")
struct BearerTokenTests {
    @Test("each kind of token is told apart by its shape and round-trips")
    func kinds() throws {
        let id = UUID()
        let session = BearerToken.newSession(id: id)
        #expect(BearerToken.parse(session.text) == .session(id: id, secret: session.secret))
        let serviceKey = BearerToken.newServiceKey(id: id)
        #expect(BearerToken.parse(serviceKey.text) == .serviceKey(id: id, secret: serviceKey.secret))
        let apiKey = APIKeyToken.generate(keyId: id)
        #expect(BearerToken.parse(apiKey.text) == .apiKey(apiKey))
    }

    @Test("wrong lengths, extra parts and non-ASCII hex are not tokens", arguments: [
        "s_" + String(repeating: "a", count: 32) + "_" + String(repeating: "b", count: 31),
        "s_" + String(repeating: "a", count: 32) + "_" + String(repeating: "b", count: 32) + "_c",
        String(repeating: "a", count: 31) + "_" + String(repeating: "b", count: 32),
        String(repeating: "ａ", count: 32) + "_" + String(repeating: "b", count: 32),
        "", "_", "s_",
    ])
    func malformed(_ text: String) {
        #expect(BearerToken.parse(text) == nil)
    }
}

@Suite("Authorization header")
struct AuthorizationHeaderTests {
    static let token = APIKeyToken.generate(keyId: UUID.v7())

    @Test("the Bearer scheme in any case, with spaces around and between, gives the token", arguments: [
        "Bearer \(token.text)", "bearer \(token.text)", "BEARER   \(token.text)  ", " \tBearer\t\(token.text)",
    ])
    func accepted(header: String) throws {
        #expect(try Authorizer.token(from: header) == .apiKey(Self.token))
    }

    @Test("another scheme, no token, or a token with more after it is 401", arguments: [
        "Basic \(token.text)", "Bearer", "Bearer   ", "Bearer\(token.text)", "Bearer \(token.text) more", "", "Bearér \(token.text)",
    ])
    func refused(header: String) {
        #expect(throws: APIError.self) { try Authorizer.token(from: header) }
    }
}

import HotImpl
import Testing

@Suite("SecretHash")
struct SecretHashTests {
    @Test("the digest is SHA-256 in lowercase hex")
    func digestIsSHA256() {
        // Known answer: SHA-256("abc").
        #expect(SecretHash.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SecretHash.digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("the right secret matches its digest")
    func matchesCorrect() {
        let secret = SecretHash.randomHex(bytes: 32)
        #expect(SecretHash.matches(secret, digest: SecretHash.digest(secret)))
    }

    @Test("any other secret does not match")
    func rejectsOthers() {
        let secret = SecretHash.randomHex(bytes: 32)
        let digest = SecretHash.digest(secret)
        #expect(!SecretHash.matches(secret + "0", digest: digest))
        #expect(!SecretHash.matches(String(secret.dropLast()), digest: digest))
        #expect(!SecretHash.matches(secret.uppercased(), digest: digest))
        #expect(!SecretHash.matches("", digest: digest))
        for _ in 0..<20 {
            #expect(!SecretHash.matches(SecretHash.randomHex(bytes: 32), digest: digest))
        }
    }

    @Test("a stored digest of another length never matches")
    func rejectsDifferentLengths() {
        let secret = SecretHash.randomHex(bytes: 32)
        let digest = SecretHash.digest(secret)
        #expect(!SecretHash.matches(secret, digest: String(digest.dropLast())))
        #expect(!SecretHash.matches(secret, digest: digest + "0"))
        #expect(!SecretHash.matches(secret, digest: ""))
        // The digest of the secret is hex: upper and lower case are different stored values.
        #expect(!SecretHash.matches(secret, digest: digest.uppercased()))
    }

    @Test("randomHex gives 2 lowercase hex digits per byte, differently each time")
    func randomHex() {
        let a = SecretHash.randomHex(bytes: 32)
        #expect(a.count == 64)
        #expect(a.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(a != SecretHash.randomHex(bytes: 32))
        #expect(SecretHash.randomHex(bytes: 0) == "")
    }
}

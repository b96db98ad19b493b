import Foundation
import HotRuntime
import Testing

@Suite("UUID.v7")
struct UUIDv7Tests {
    static func bytes(_ uuid: UUID) -> [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    @Test("the version nibble is 7 and the variant bits are 10")
    func versionAndVariant() {
        for _ in 0..<200 {
            let bytes = Self.bytes(UUID.v7())
            #expect(bytes[6] >> 4 == 0x7)
            #expect(bytes[8] >> 6 == 0b10)
        }
    }

    @Test("the first 48 bits are the Unix time in milliseconds")
    func timePrefix() throws {
        // .5 s is exact in binary, so the expected milliseconds are exact too.
        let id = UUID.v7(now: Date(timeIntervalSince1970: 1_705_314_600.5))
        let millis = Self.bytes(id).prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(millis == 1_705_314_600_500)
        #expect(id.lowercased.hasPrefix(String(format: "%08llx-%04llx", millis >> 16, millis & 0xFFFF)))
    }

    @Test("ids made 2 ms apart sort in creation order")
    func ordered() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<500 {
            let start = Double(Int64.random(in: 1_600_000_000_000..<2_000_000_000_000, using: &generator)) / 1000
            let earlier = UUID.v7(now: Date(timeIntervalSince1970: start))
            let later = UUID.v7(now: Date(timeIntervalSince1970: start + 0.002))
            #expect(earlier.lowercased < later.lowercased)
            #expect(Self.bytes(earlier).lexicographicallyPrecedes(Self.bytes(later)))
        }
    }

    @Test("ids made in the same millisecond still differ")
    func unique() {
        let now = Date()
        let ids = Set((0..<1000).map { _ in UUID.v7(now: now) })
        #expect(ids.count == 1000)
    }

    @Test("lowercased is the lowercase canonical form")
    func lowercased() throws {
        let id = try #require(UUID(uuidString: "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B"))
        #expect(id.lowercased == "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")
    }

    @Test("ids made at once from many tasks, across many refills of the random pool, are all different")
    func uniqueAcrossRefills() async {
        let now = Date()
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2000).map { _ in UUID.v7(now: now) } } }
            return await group.reduce(into: [UUID]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 16_000)
    }
}

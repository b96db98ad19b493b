import HotRuntime
import Testing

@Suite("Percent decoding")
struct PercentDecodingTests {
    @Test("escapes decode to UTF-8; malformed escapes and bytes that are not UTF-8 are refused")
    func strictDecoding() {
        #expect(PercentDecoding.decode("my-project") == "my-project")
        #expect(PercentDecoding.decode("a%20b%C3%A9") == "a bé")
        #expect(PercentDecoding.decode("nul%00byte") == "nul\u{0}byte")
        #expect(PercentDecoding.decode("a%ffb") == nil)
        #expect(PercentDecoding.decode("a%C3") == nil)
        #expect(PercentDecoding.decode("a%g1") == nil)
        #expect(PercentDecoding.decode("a%2") == nil)
    }
}

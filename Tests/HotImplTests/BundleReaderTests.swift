import Foundation
import HotTestSupport
import Testing

@testable import HotImpl

@Suite("BundleReader")
struct BundleReaderTests {
    static let manifest = """
        {
          "hot.bundle.myapp": {
            bundle_id: "0199-abc",
            files: [
              {path: "hot/src/handlers.hot", hash: "abc", size: 12},
            ],
            event_handlers: {
              "user:signup": [
                {
                  fn: "::myapp::handlers/on-user-signup",
                  meta: {retries: 3, "label": "Sign \\"up\\"\\n", ratio: 1.25, on: true, none: null, tags: ["a", "b",],},
                  file: "hot/src/handlers.hot",
                  line: 4,
                  column: 1,
                  position: 57,
                },
                {fn: "::myapp::audit/log-event"},
              ],
              "order:paid": [{fn: "::myapp::billing/record", meta: {}}],
            },
            scheduled_functions: {
              "*/5 * * * *": [{fn: "::myapp::jobs/poll", meta: {schedule: "often"}}],
              "0 9 * JAN-MAR mon-fri": [{fn: "::myapp::jobs::reports/daily-report"}],
            },
            created_at: "2026-01-01T00:00:00Z",
          },
        }
        """

    static func checkManifestContents(_ contents: BundleContents) {
        #expect(contents.hasManifest)
        #expect(contents.bundleName == "myapp")
        #expect(
            contents.eventHandlers == [
                BundleHandler(
                    eventType: "user:signup", ns: "::myapp::handlers", var: "on-user-signup",
                    metaJSON:
                        #"{"retries":3,"label":"Sign \"up\"\n","ratio":1.25,"on":true,"none":null,"tags":["a","b"]}"#),
                BundleHandler(eventType: "user:signup", ns: "::myapp::audit", var: "log-event", metaJSON: "{}"),
                BundleHandler(eventType: "order:paid", ns: "::myapp::billing", var: "record", metaJSON: "{}"),
            ])
        #expect(
            contents.schedules == [
                BundleSchedule(cron: "*/5 * * * *", ns: "::myapp::jobs", var: "poll", metaJSON: #"{"schedule":"often"}"#),
                BundleSchedule(
                    cron: "0 9 * JAN-MAR mon-fri", ns: "::myapp::jobs::reports", var: "daily-report", metaJSON: "{}"),
            ])
        // The meta JSON is real JSON.
        if let meta = contents.eventHandlers.first?.metaJSON {
            let object = try? JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any]
            #expect(object?["label"] as? String == "Sign \"up\"\n")
        }
    }

    static func archive(manifestMethod method: ZipFixture.Method) throws -> ZipFixture {
        ZipFixture([
            try .init("hot/src/handlers.hot", String(repeating: "fn on-user-signup() { 1 }\n", count: 100), method: method),
            try .init("manifest.hot", manifest, method: method),
            try .init("hot/src/", Data()),
        ])
    }

    @Test func storedArchiveWithManifest() throws {
        Self.checkManifestContents(try Self.archive(manifestMethod: .stored).read())
    }

    @Test func deflatedArchiveWithManifest() throws {
        let fixture = try Self.archive(manifestMethod: .deflate)
        #expect(fixture.entries[0].payload.count < fixture.entries[0].uncompressedSize)
        Self.checkManifestContents(try fixture.read())
    }

    @Test func zstdArchiveWithManifest() throws {
        try #require(ZstdLibrary.shared != nil, "libzstd.so.1 must be installed for this test")
        let fixture = try Self.archive(manifestMethod: .zstd)
        #expect(fixture.entries[1].method == 93)
        Self.checkManifestContents(try fixture.read())
    }

    @Test func zip64ArchiveIsRead() throws {
        var fixture = try Self.archive(manifestMethod: .deflate)
        fixture.zip64 = true
        Self.checkManifestContents(try fixture.read())
    }

    @Test func publicEntryPointReadsFile() throws {
        let url = try Self.archive(manifestMethod: .stored).write()
        defer { try? FileManager.default.removeItem(at: url) }
        Self.checkManifestContents(try BundleReader.read(file: url))
    }

    @Test func noManifestMeansNoHandlers() throws {
        let contents = try ZipFixture([try .init("hot/src/a.hot", "1", method: .deflate)]).read()
        #expect(contents == BundleContents(eventHandlers: [], schedules: [], bundleName: nil, hasManifest: false))
        let empty = try ZipFixture([]).read()
        #expect(empty.hasManifest == false)
    }

    @Test func manifestWithoutSectionsHasNoHandlers() throws {
        let contents = try ZipFixture([try .init("manifest.hot", #"{"hot.bundle.x": {bundle_id: "1"}}"#)]).read()
        #expect(contents == BundleContents(bundleName: "x", hasManifest: true))
    }

    @Test(arguments: [
        (#"[1]"#, "exactly one \"hot.bundle.<name>\" key"),
        (#"{"other": {}}"#, "exactly one \"hot.bundle.<name>\" key"),
        (#"{"hot.bundle.a": {}, "hot.bundle.b": {}}"#, "exactly one"),
        (#"{"hot.bundle.a": {event_handlers: {"e": [{fn: "no-slash"}]}}}"#, "fn 'no-slash'"),
        (#"{"hot.bundle.a": {event_handlers: {"e": [{fn: "::ns/"}]}}}"#, "fn '::ns/'"),
        (#"{"hot.bundle.a": {event_handlers: {"e": [{meta: {}}]}}}"#, "without a string fn"),
        (#"{"hot.bundle.a": {scheduled_functions: {"61 * * * *": [{fn: "::a/b"}]}}}"#,
         "invalid cron '61 * * * *': minute 61 is out of range 0-59"),
        (#"{"hot.bundle.a": {event_handlers: {"e": [{fn: "::a/b", meta: 5}]}}}"#, "meta that is not a map"),
        (#"{"hot.bundle.a": {event_handlers: {"e": [{fn: "::a/b" meta: {}}]}}}"#, "manifest.hot:1:55: expected ',' or '}', found 'm'"),
    ])
    func badManifestContents(source: String, expected: String) throws {
        let message = ZipFixture([try .init("manifest.hot", source)]).readError()
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    @Test(arguments: [
        ("../x", "zip entry '../x' escapes the archive"),
        ("hot/../../x", "escapes the archive"),
        ("a\\..\\x", "escapes the archive"),
        ("/etc/x", "zip entry '/etc/x' has an absolute path"),
        ("\\x", "has an absolute path"),
        ("C:\\x", "has an absolute path"),
        ("c:x", "has an absolute path"),
        ("a\0b", "has a NUL byte in its name"),
        ("", "empty name"),
        (String(repeating: "a/", count: 65) + "x", "nested 66 levels deep, more than the limit of 64"),
        (String(repeating: "a", count: 1025), "path of 1025 bytes, more than the limit of 1024 bytes"),
    ])
    func hostileNamesAreRejected(name: String, expected: String) throws {
        let fixture = ZipFixture([
            try .init("manifest.hot", Self.manifest),
            try .init(name, "evil", method: .deflate),
        ])
        let message = fixture.readError()
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
    }

    @Test func acceptableNamesPass() throws {
        let fixture = ZipFixture([
            try .init(String(repeating: "a/", count: 63) + "x", "ok"),
            try .init("a/b..c/..d/x", "ok"),
            try .init(String(repeating: "b", count: 1024), "ok"),
        ])
        #expect(fixture.readError() == nil)
    }

    @Test func mismatchedLocalNameIsRejected() throws {
        var entry = try ZipFixture.Entry("safe.txt", "x")
        entry.localName = Array("../x.txt".utf8)
        let message = ZipFixture([entry]).readError()
        #expect(message == "zip entry 'safe.txt' has a different name in its local header")
    }

    @Test func handBuiltDeflateBombIsValidDeflate() throws {
        // Sanity check of the fixture: a small bomb inflates to exactly its zeros and passes.
        let (payload, size) = ZipFixture.deflateZerosBomb(runs: 100)
        let zeros = Data(count: Int(size))
        let entry = ZipFixture.Entry(
            rawName: Array("zeros.bin".utf8), payload: payload, method: 8, crc32: zeros.crc32(checksum: 0),
            uncompressedSize: size)
        #expect(ZipFixture([entry]).readError() == nil)
    }

    @Test func deflateBombHitsRatioLimitQuickly() throws {
        // About 200 MiB of zeros in about 200 KB, with honest headers.
        let (payload, size) = ZipFixture.deflateZerosBomb(runs: (200 << 20) / 258)
        #expect(payload.count < 210_000)
        let bomb = ZipFixture.Entry(
            rawName: Array("bomb.bin".utf8), payload: payload, method: 8, crc32: 0, uncompressedSize: size)
        let clock = ContinuousClock()
        var message: String?
        let elapsed = clock.measure { message = ZipFixture([bomb]).readError() }
        #expect(message?.contains("zip entry 'bomb.bin' expands more than 200 times") == true, "\(message ?? "no error")")
        #expect(elapsed < .seconds(5))
    }

    @Test func gigabyteBombHitsTotalLimit() throws {
        // 4 GiB of zeros (ZIP64 sizes); with the ratio check relaxed, the total limit stops it.
        let (payload, size) = ZipFixture.deflateZerosBomb(runs: Int((Int64(4) << 30) / 258))
        var fixture = ZipFixture([
            ZipFixture.Entry(rawName: Array("huge.bin".utf8), payload: payload, method: 8, crc32: 0, uncompressedSize: size)
        ])
        fixture.zip64 = true
        var limits = BundleLimits.default
        limits.maxCompressionRatio = 100_000
        limits.maxTotalUncompressedBytes = 8 << 20
        #expect(
            fixture.readError(limits: limits)
                == "zip archive decompresses to more than the limit of 8388608 bytes in total (stopped in entry 'huge.bin')")
    }

    @Test func zstdBombHitsRatioLimit() throws {
        let zstd = try #require(ZstdLibrary.shared)
        let frame = try zstd.compress(Data(count: 1 << 20), level: 19)
        var payload = Data()
        for _ in 0..<200 { payload.append(frame) }
        let bomb = ZipFixture.Entry(
            rawName: Array("bomb.zst".utf8), payload: payload, method: 93, crc32: 0, uncompressedSize: 200 << 20)
        let message = ZipFixture([bomb]).readError()
        #expect(message?.contains("zip entry 'bomb.zst' expands more than 200 times") == true, "\(message ?? "no error")")
    }

    @Test func lyingDeclaredSizeIsCaughtWhileStreaming() throws {
        let (payload, _) = ZipFixture.deflateZerosBomb(runs: (4 << 20) / 258)
        let liar = ZipFixture.Entry(
            rawName: Array("small.txt".utf8), payload: payload, method: 8, crc32: 0, uncompressedSize: 100)
        let message = ZipFixture([liar]).readError()
        #expect(message == "zip entry 'small.txt' decompresses to more than its declared size of 100 bytes")
        // A header claiming more than the data holds is caught too.
        var short = try ZipFixture.Entry("short.txt", "abc", method: .deflate)
        short.uncompressedSize = 10
        #expect(ZipFixture([short]).readError() == "zip entry 'short.txt' decompresses to 3 bytes but declares 10 bytes")
    }

    @Test func totalLimitCountsRealBytes() throws {
        var limits = BundleLimits.default
        limits.maxTotalUncompressedBytes = 100_000
        let chunk = Data(repeating: 7, count: 60_000)
        let fixture = ZipFixture([try .init("a.bin", chunk, method: .deflate), try .init("b.bin", chunk)])
        let message = fixture.readError(limits: limits)
        #expect(
            message
                == "zip archive decompresses to more than the limit of 100000 bytes in total (stopped in entry 'b.bin')")
        #expect(ZipFixture([try .init("a.bin", chunk)]).readError(limits: limits) == nil)
    }

    @Test func tooManyEntries() throws {
        let entries = try (0..<20_000).map { try ZipFixture.Entry("f\($0)", Data()) }
        #expect(ZipFixture(entries).readError() == "zip archive has 20000 entries, more than the limit of 10000")
        // Lying about the count in the end record does not help either.
        var liar = ZipFixture(Array(entries.prefix(3)))
        liar.declaredEntryCount = 2
        #expect(liar.readError()?.contains("central directory size does not match") == true)
    }

    @Test func oversizedManifestIsRejected() throws {
        let big = "{\"hot.bundle.a\": \"" + String(repeating: "x", count: 10 << 20) + "\"}"
        let stored = ZipFixture([try .init("manifest.hot", big)]).readError()
        #expect(stored?.contains("manifest.hot declares 10485780 bytes, more than the limit of 1048576 bytes") == true)
        // With a lying (small) declared size the stream is cut at the declared size...
        var liar = try ZipFixture.Entry("manifest.hot", big, method: .deflate)
        liar.uncompressedSize = 1 << 20
        #expect(
            ZipFixture([liar]).readError()
                == "zip entry 'manifest.hot' decompresses to more than its declared size of 1048576 bytes")
        // ...and the manifest limit itself is enforced on real bytes.
        var limits = BundleLimits.default
        limits.maxManifestBytes = 1_000
        let honest = try ZipFixture.Entry("manifest.hot", String(repeating: " ", count: 999) + "{}")
        var sneaky = try ZipFixture.Entry("manifest.hot", String(repeating: " ", count: 999) + "{}", method: .deflate)
        sneaky.uncompressedSize = 999
        #expect(ZipFixture([sneaky]).readError(limits: limits)?.contains("decompresses to more than its declared") == true)
        #expect(
            ZipFixture([honest]).readError(limits: limits)
                == "manifest.hot declares 1001 bytes, more than the limit of 1000 bytes")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let message = ZipFixture([try .init("manifest.hot", deep, method: .deflate)]).readError()
        #expect(message == "manifest.hot:1:65: nesting is deeper than the limit of 64 levels")
    }

    @Test func crcMismatchIsRejected() throws {
        for method in [ZipFixture.Method.stored, .deflate, .zstd] {
            var entry = try ZipFixture.Entry("hot/src/a.hot", "hello world", method: method)
            entry.crc32 ^= 0x1
            let message = ZipFixture([entry]).readError()
            #expect(message?.hasPrefix("zip entry 'hot/src/a.hot' fails its CRC-32 check") == true, "\(message ?? "")")
        }
    }

    @Test func unknownMethodIsRejected() throws {
        let entry = ZipFixture.Entry(rawName: Array("a.xz".utf8), payload: Data([1, 2, 3]), method: 14, crc32: 0, uncompressedSize: 3)
        #expect(
            ZipFixture([entry]).readError()
                == "zip entry 'a.xz' uses compression method 14 (LZMA), which is not supported (only stored, deflate and zstd are)")
    }

    @Test func missingLibzstdGivesClearError() throws {
        let fixture = ZipFixture([try .init("manifest.hot", Self.manifest, method: .zstd)])
        let message = fixture.readError(zstdLibraryName: "libzstd-does-not-exist.so.9")
        #expect(
            message
                == "zstd-compressed entry 'manifest.hot' cannot be read: libzstd-does-not-exist.so.9 is not available on this server")
        #expect(ZstdLibrary(libraryName: "libzstd-does-not-exist.so.9") == nil)
        // Archives without zstd entries still read without the library.
        let plain = ZipFixture([try .init("manifest.hot", Self.manifest, method: .deflate)])
        #expect(plain.readError(zstdLibraryName: "libzstd-does-not-exist.so.9") == nil)
    }

    @Test func corruptCompressedDataIsRejected() throws {
        var deflated = try ZipFixture.Entry("a.txt", String(repeating: "abc", count: 1000), method: .deflate)
        deflated.payload = Data(deflated.payload.prefix(deflated.payload.count / 2))
        let truncated = ZipFixture([deflated]).readError()
        #expect(truncated?.contains("zip entry 'a.txt'") == true, "\(truncated ?? "")")
        let garbage = ZipFixture.Entry(rawName: Array("g.txt".utf8), payload: Data([0xFF, 0xFF, 0xFF]), method: 8, crc32: 0, uncompressedSize: 3)
        #expect(ZipFixture([garbage]).readError() == "zip entry 'g.txt': deflate data is corrupt")
        var zstd = try ZipFixture.Entry("z.txt", String(repeating: "abc", count: 1000), method: .zstd)
        zstd.payload = Data(zstd.payload.prefix(zstd.payload.count - 3))
        #expect(ZipFixture([zstd]).readError() == "zip entry 'z.txt': zstd data is truncated")
    }

    @Test func duplicateManifestIsRejected() throws {
        let fixture = ZipFixture([try .init("manifest.hot", Self.manifest), try .init("manifest.hot", "{}")])
        #expect(fixture.readError() == "zip archive contains more than one manifest.hot")
    }

    @Test func overlappingEntriesAreRejected() throws {
        // "inner.txt" hides inside the data of "outer.bin" (a classic overlapping-entry bomb).
        let inner = try ZipFixture.Entry("inner.txt", "hidden")
        let innerLocal = ZipFixture().localHeader(inner) + inner.payload
        let outer = try ZipFixture.Entry("outer.bin", innerLocal)
        var shared = inner
        shared.sharedLocalHeaderOffset = Int64(30 + outer.name.count)
        let message = ZipFixture([outer, shared]).readError()
        #expect(message == "zip entries 'outer.bin' and 'inner.txt' overlap")
    }

    @Test func notAZipIsRejected() throws {
        let url = try ZipFixture.writeTemporary(Data("hello, this is not a zip archive at all".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: BundleError("not a zip archive: no end-of-central-directory record found")) {
            try BundleReader.read(file: url)
        }
        let truncated = ZipFixture([try .init("manifest.hot", Self.manifest)]).build().prefix(40)
        let url2 = try ZipFixture.writeTemporary(Data(truncated))
        defer { try? FileManager.default.removeItem(at: url2) }
        #expect(throws: BundleError.self) { try BundleReader.read(file: url2) }
    }
}

@Suite("BundleReader refusals found in review")
struct BundleReaderReviewTests {
    @Test("a symbolic link entry is refused")
    func symlinkRefused() throws {
        var link = try ZipFixture.Entry("src/link", "/etc/passwd")
        link.unixMode = 0o120777
        let message = ZipFixture([link]).readError()
        #expect(message?.contains("symbolic link") == true, "\(message ?? "accepted")")
        // A regular Unix file is fine.
        var file = try ZipFixture.Entry("src/file.hot", "x")
        file.unixMode = 0o100644
        #expect(ZipFixture([file]).readError() == nil)
    }

    @Test("a NUL in a manifest string is refused with its position, not stored")
    func nulInManifest() throws {
        let manifest = "{\"hot.bundle.x\": {event_handlers: {\"a\u{0}b\": [{fn: \"::a/b\"}]}}}"
        let message = ZipFixture([try .init("manifest.hot", manifest)]).readError()
        #expect(message?.hasPrefix("manifest.hot:1:") == true, "\(message ?? "accepted")")
        #expect(message?.contains("NUL") == true)
    }

    @Test("a cron step larger than its field is refused instead of overflowing")
    func hugeCronStep() {
        for text in ["59/9223372036854775800 * * * *", "*/1001 * * * *", "* 3/99999 * * *"] {
            #expect(throws: BundleError.self) { try CronExpression(text) }
        }
        #expect((try? CronExpression("*/59 * * * *")) != nil)
    }
}

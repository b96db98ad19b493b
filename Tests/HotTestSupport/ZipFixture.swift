import Foundation
// A plain import: HotTestSupport is a regular target, built by `swift build -c release` too, where
// `@testable` is unavailable. What it needs beyond HotImpl's public API is `package`.
import HotImpl
import ZIPFoundation

/// Builds zip archives in memory for tests, including hostile ones: every header field
/// can be made to lie (sizes, CRC, names, method, entry count).
public struct ZipFixture {
    public enum Method: Sendable {
        case stored
        case deflate
        case zstd
    }

    public struct Entry {
        public var name: [UInt8]
        /// Bytes written as the entry's data, already compressed.
        public var payload: Data
        public var method: UInt16
        public var crc32: UInt32
        public var uncompressedSize: Int64
        /// When set, written in the local header instead of `name`.
        public var localName: [UInt8]?
        /// When set, written instead of the payload's real length.
        public var declaredCompressedSize: Int64?
        /// When set, the entry gets no local header of its own: its central record points here.
        public var sharedLocalHeaderOffset: Int64?
        /// When set, the entry is "made by Unix" with this file mode (0o120777: a symbolic link).
        public var unixMode: UInt32?

        /// An entry whose data is `data`, compressed with `method`; headers tell the truth.
        public init(_ name: String, _ data: Data, method: Method = .stored) throws {
            self.name = Array(name.utf8)
            self.crc32 = data.crc32(checksum: 0)
            self.uncompressedSize = Int64(data.count)
            switch method {
            case .stored:
                self.payload = data
                self.method = 0
            case .deflate:
                self.payload = try ZipFixture.deflate(data)
                self.method = 8
            case .zstd:
                guard let zstd = ZstdLibrary.shared else { throw BundleError("libzstd missing in test") }
                self.payload = try zstd.compress(data)
                self.method = 93
            }
        }

        public init(_ name: String, _ text: String, method: Method = .stored) throws {
            try self.init(name, Data(text.utf8), method: method)
        }

        /// An entry with raw, pre-built payload and whatever headers the test wants.
        public init(rawName: [UInt8], payload: Data, method: UInt16, crc32: UInt32, uncompressedSize: Int64) {
            self.name = rawName
            self.payload = payload
            self.method = method
            self.crc32 = crc32
            self.uncompressedSize = uncompressedSize
        }
    }

    public var entries: [Entry] = []
    /// When set, the end record claims this many entries.
    public var declaredEntryCount: Int?
    /// Write ZIP64 structures (sizes and offsets as 0xFFFFFFFF plus ZIP64 extra fields and records).
    public var zip64 = false

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    /// Raw deflate of `data` with ZIPFoundation.
    public static func deflate(_ data: Data) throws -> Data {
        var output = Data()
        _ = try Data.compress(
            size: Int64(data.count), bufferSize: 64 * 1024,
            provider: { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            },
            consumer: { output.append($0) })
        return output
    }

    /// A hand-built raw deflate stream that inflates to `1 + 258 * runs` zero bytes at a ratio
    /// of about 1032:1, built in microseconds: one dynamic-Huffman block holding a literal 0
    /// followed by `runs` copies of (length 258, distance 1), each coded in two bits.
    public static func deflateZerosBomb(runs: Int) -> (payload: Data, size: Int64) {
        var writer = BitWriter()
        writer.bits(1, 1)  // BFINAL
        writer.bits(2, 2)  // BTYPE = dynamic Huffman
        writer.bits(29, 5)  // HLIT: 286 literal/length codes
        writer.bits(0, 5)  // HDIST: 1 distance code
        writer.bits(14, 4)  // HCLEN: 18 code-length codes
        // Code-length code lengths in RFC 1951 order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
        // symbol 18 -> 1 bit (code 0), symbols 1 and 2 -> 2 bits (codes 10, 11).
        for length: UInt32 in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] { writer.bits(length, 3) }
        // Literal/length lengths: 0 -> 2, 1...255 -> 0, 256 -> 2, 257...284 -> 0, 285 -> 1; distance 0 -> 1.
        writer.code(0b11, 2)  // length 2 (symbol 0)
        writer.code(0, 1)
        writer.bits(138 - 11, 7)  // 138 zeros
        writer.code(0, 1)
        writer.bits(117 - 11, 7)  // 117 zeros
        writer.code(0b11, 2)  // length 2 (symbol 256)
        writer.code(0, 1)
        writer.bits(28 - 11, 7)  // 28 zeros
        writer.code(0b10, 2)  // length 1 (symbol 285)
        writer.code(0b10, 2)  // length 1 (distance 0)
        // Canonical codes: 285 -> 0, literal 0 -> 10, end of block -> 11, distance 0 -> 0.
        writer.code(0b10, 2)  // literal 0
        writer.zeroBits(2 * runs)  // runs x (length 258 = "0", distance 1 = "0")
        writer.code(0b11, 2)  // end of block
        return (writer.finish(), 1 + 258 * Int64(runs))
    }

    /// The local file header for `entry` (without its data).
    public func localHeader(_ entry: Entry) -> Data {
        var out = Data()
        let compressedSize = entry.declaredCompressedSize ?? Int64(entry.payload.count)
        let localName = entry.localName ?? entry.name
        out.append32(0x0403_4b50)
        out.append16(zip64 ? 45 : 20)
        out.append16(0x0800)
        out.append16(entry.method)
        out.append16(0)
        out.append16(0x21)
        out.append32(entry.crc32)
        if zip64 {
            out.append32(0xFFFF_FFFF)
            out.append32(0xFFFF_FFFF)
        } else {
            out.append32(UInt32(truncatingIfNeeded: compressedSize))
            out.append32(UInt32(truncatingIfNeeded: entry.uncompressedSize))
        }
        out.append16(UInt16(localName.count))
        out.append16(zip64 ? 20 : 0)
        out.append(contentsOf: localName)
        if zip64 {
            out.append16(0x0001)
            out.append16(16)
            out.append64(UInt64(entry.uncompressedSize))
            out.append64(UInt64(compressedSize))
        }
        return out
    }

    public func build() -> Data {
        var out = Data()
        var central = Data()
        for entry in entries {
            let offset = entry.sharedLocalHeaderOffset ?? Int64(out.count)
            let compressedSize = entry.declaredCompressedSize ?? Int64(entry.payload.count)
            if entry.sharedLocalHeaderOffset == nil {
                out.append(localHeader(entry))
                out.append(entry.payload)
            }

            central.append32(0x0201_4b50)
            central.append16(entry.unixMode != nil ? 0x0314 : (zip64 ? 45 : 20))
            central.append16(zip64 ? 45 : 20)
            central.append16(0x0800)
            central.append16(entry.method)
            central.append16(0)
            central.append16(0x21)
            central.append32(entry.crc32)
            if zip64 {
                central.append32(0xFFFF_FFFF)
                central.append32(0xFFFF_FFFF)
            } else {
                central.append32(UInt32(truncatingIfNeeded: compressedSize))
                central.append32(UInt32(truncatingIfNeeded: entry.uncompressedSize))
            }
            central.append16(UInt16(entry.name.count))
            central.append16(zip64 ? 28 : 0)
            central.append16(0)
            central.append16(0)
            central.append16(0)
            central.append32((entry.unixMode ?? 0) << 16)
            central.append32(zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: offset))
            central.append(contentsOf: entry.name)
            if zip64 {
                central.append16(0x0001)
                central.append16(24)
                central.append64(UInt64(entry.uncompressedSize))
                central.append64(UInt64(compressedSize))
                central.append64(UInt64(offset))
            }
        }
        let cdOffset = out.count
        out.append(central)
        let count = declaredEntryCount ?? entries.count
        if zip64 {
            let recordOffset = out.count
            out.append32(0x0606_4b50)
            out.append64(44)
            out.append16(45)
            out.append16(45)
            out.append32(0)
            out.append32(0)
            out.append64(UInt64(count))
            out.append64(UInt64(count))
            out.append64(UInt64(central.count))
            out.append64(UInt64(cdOffset))
            out.append32(0x0706_4b50)
            out.append32(0)
            out.append64(UInt64(recordOffset))
            out.append32(1)
        }
        out.append32(0x0605_4b50)
        out.append16(0)
        out.append16(0)
        out.append16(zip64 ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.append16(zip64 ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.append32(zip64 ? 0xFFFF_FFFF : UInt32(central.count))
        out.append32(zip64 ? 0xFFFF_FFFF : UInt32(cdOffset))
        out.append16(0)
        return out
    }

    /// Writes the archive to a fresh temporary file and returns its URL.
    public func write() throws -> URL {
        try ZipFixture.writeTemporary(build())
    }

    public static func writeTemporary(_ data: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hot-bundle-test-\(UUID().uuidString).zip")
        try data.write(to: url)
        return url
    }

    /// Writes the archive, reads it with `BundleReader`, and removes the file.
    package func read(
        limits: BundleLimits = .default, zstdLibraryName: String = BundleReader.defaultZstdLibraryName
    ) throws -> BundleContents {
        let url = try write()
        defer { try? FileManager.default.removeItem(at: url) }
        return try BundleReader.read(file: url, limits: limits, zstdLibraryName: zstdLibraryName)
    }

    /// The `BundleError` message reading this archive produces, or nil if it reads fine.
    package func readError(
        limits: BundleLimits = .default, zstdLibraryName: String = BundleReader.defaultZstdLibraryName
    ) -> String? {
        do {
            _ = try read(limits: limits, zstdLibraryName: zstdLibraryName)
            return nil
        } catch let error as BundleError {
            return error.message
        } catch {
            return "unexpected error type: \(error)"
        }
    }
}

extension Data {
    fileprivate mutating func append16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    fileprivate mutating func append32(_ value: UInt32) {
        append16(UInt16(value & 0xFFFF))
        append16(UInt16(value >> 16))
    }

    fileprivate mutating func append64(_ value: UInt64) {
        append32(UInt32(value & 0xFFFF_FFFF))
        append32(UInt32(value >> 32))
    }
}

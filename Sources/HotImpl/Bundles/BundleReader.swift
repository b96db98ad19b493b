import Foundation
import ZIPFoundation

/// Reads an uploaded build zip from disk: validates its structure and every entry name,
/// streams every entry through its decompressor (bounded buffers; CRC-32 and real size
/// checked; limits enforced on the bytes actually produced), keeps only `manifest.hot`,
/// and extracts the event handlers and schedules it declares.
///
/// Synchronous and blocking: call it off the event loop. Every failure is a `BundleError`
/// whose message names the offending entry.
public enum BundleReader {
    static let manifestName: [UInt8] = Array("manifest.hot".utf8)
    package static let defaultZstdLibraryName = "libzstd.so.1"

    public static func read(file: URL, limits: BundleLimits = .default) throws -> BundleContents {
        try read(file: file, limits: limits, zstdLibraryName: defaultZstdLibraryName)
    }

    /// `zstdLibraryName` lets tests pretend libzstd is missing (or point at another build).
    package static func read(file: URL, limits: BundleLimits, zstdLibraryName: String) throws -> BundleContents {
        let zstd =
            zstdLibraryName == defaultZstdLibraryName
            ? ZstdLibrary.shared : ZstdLibrary(libraryName: zstdLibraryName)
        let reader = try ZipFileReader(url: file)
        let directory = try ZipCentralDirectory.read(from: reader, limits: limits)
        let decoder = ZipEntryDecoder(reader: reader, zstd: zstd, zstdLibraryName: zstdLibraryName)

        // 1. Names, flags and methods of every entry, before any data is touched.
        var seen = Set<[UInt8]>()
        var manifestIndex: Int?
        for (index, entry) in directory.entries.enumerated() {
            try validateName(entry, limits: limits)
            if entry.flags & 0x0001 != 0 || entry.flags & 0x0040 != 0 {
                throw BundleError("zip entry '\(entry.displayName)' is encrypted")
            }
            if entry.nameBytes == manifestName {
                if manifestIndex != nil {
                    throw BundleError("zip archive contains more than one manifest.hot")
                }
                manifestIndex = index
                if entry.uncompressedSize > Int64(limits.maxManifestBytes) {
                    throw BundleError(
                        "manifest.hot declares \(entry.uncompressedSize) bytes, more than the limit of "
                            + "\(limits.maxManifestBytes) bytes")
                }
            } else if !seen.insert(entry.nameBytes).inserted {
                throw BundleError("zip entry '\(entry.displayName)' appears more than once")
            }
            try decoder.checkSupported(entry)
        }

        // 2. Local headers: where each entry's data starts; data ranges must not overlap.
        var dataOffsets: [Int64] = []
        dataOffsets.reserveCapacity(directory.entries.count)
        var spans: [(start: Int64, end: Int64, index: Int)] = []
        for (index, entry) in directory.entries.enumerated() {
            let what = "local header of zip entry '\(entry.displayName)'"
            guard entry.localHeaderOffset >= 0, entry.localHeaderOffset < directory.offset else {
                throw BundleError("\(what) lies outside the archive data")
            }
            let header = try reader.read(at: entry.localHeaderOffset, count: 30, what: what)
            guard ZipCentralDirectory.u32(header, 0) == ZipCentralDirectory.localHeaderSignature else {
                throw BundleError("\(what) is missing or damaged")
            }
            let nameLength = Int(ZipCentralDirectory.u16(header, 26))
            let extraLength = Int(ZipCentralDirectory.u16(header, 28))
            let localName = try reader.read(at: entry.localHeaderOffset + 30, count: nameLength, what: what)
            guard [UInt8](localName) == entry.nameBytes else {
                throw BundleError("zip entry '\(entry.displayName)' has a different name in its local header")
            }
            let dataOffset = entry.localHeaderOffset + 30 + Int64(nameLength) + Int64(extraLength)
            guard entry.compressedSize >= 0, entry.uncompressedSize >= 0,
                dataOffset <= directory.offset, entry.compressedSize <= directory.offset - dataOffset
            else {
                throw BundleError("data of zip entry '\(entry.displayName)' runs past the end of the archive data")
            }
            if entry.method == 0 && entry.compressedSize != entry.uncompressedSize {
                throw BundleError(
                    "stored zip entry '\(entry.displayName)' declares \(entry.compressedSize) stored bytes "
                        + "but \(entry.uncompressedSize) uncompressed bytes")
            }
            dataOffsets.append(dataOffset)
            spans.append((start: entry.localHeaderOffset, end: dataOffset + entry.compressedSize, index: index))
        }
        spans.sort { $0.start < $1.start }
        for pair in zip(spans, spans.dropFirst()) where pair.1.start < pair.0.end {
            throw BundleError(
                "zip entries '\(directory.entries[pair.0.index].displayName)' and "
                    + "'\(directory.entries[pair.1.index].displayName)' overlap")
        }

        // 3. Stream every entry, the manifest first: it says which entries hold WebAssembly
        //    modules, the only others kept.
        var total: Int64 = 0
        var manifestData: Data?
        var contents = BundleContents()
        var moduleEntries = Set<String>()
        var moduleBytes: Int64 = 0
        let order = manifestIndex.map { [$0] + directory.entries.indices.filter { $0 != manifestIndex } } ?? Array(directory.entries.indices)
        for index in order {
            let entry = directory.entries[index]
            let isManifest = index == manifestIndex
            let isModule = moduleEntries.contains(entry.displayName)
            var produced: Int64 = 0
            var crc: CRC32 = 0
            var kept = Data()
            try decoder.decode(entry, dataOffset: dataOffsets[index]) { chunk in
                let count = Int64(chunk.count)
                produced += count
                total += count
                if total > limits.maxTotalUncompressedBytes {
                    throw BundleError(
                        "zip archive decompresses to more than the limit of \(limits.maxTotalUncompressedBytes) "
                            + "bytes in total (stopped in entry '\(entry.displayName)')")
                }
                if produced > limits.ratioCheckThresholdBytes
                    && produced / max(entry.compressedSize, 1) >= limits.maxCompressionRatio
                    && produced > limits.maxCompressionRatio * entry.compressedSize
                {
                    throw BundleError(
                        "zip entry '\(entry.displayName)' expands more than \(limits.maxCompressionRatio) times "
                            + "(\(produced) bytes from \(entry.compressedSize) compressed bytes so far); "
                            + "refusing a possible zip bomb")
                }
                if produced > entry.uncompressedSize {
                    throw BundleError(
                        "zip entry '\(entry.displayName)' decompresses to more than its declared size of "
                            + "\(entry.uncompressedSize) bytes")
                }
                if isModule {
                    moduleBytes += Int64(chunk.count)
                    if moduleBytes > Int64(limits.maxModuleBytes) {
                        throw BundleError(
                            "zip entry '\(entry.displayName)': the bundle's WebAssembly modules are larger than the limit of "
                                + "\(limits.maxModuleBytes) bytes together")
                    }
                    kept.append(chunk)
                }
                if isManifest {
                    if produced > Int64(limits.maxManifestBytes) {
                        throw BundleError(
                            "manifest.hot is larger than the limit of \(limits.maxManifestBytes) bytes")
                    }
                    kept.append(chunk)
                }
                crc = chunk.crc32(checksum: crc)
            }
            if produced != entry.uncompressedSize {
                throw BundleError(
                    "zip entry '\(entry.displayName)' decompresses to \(produced) bytes but declares "
                        + "\(entry.uncompressedSize) bytes")
            }
            if crc != entry.crc32 {
                throw BundleError(
                    "zip entry '\(entry.displayName)' fails its CRC-32 check (expected \(hex(entry.crc32)), "
                        + "got \(hex(crc)))")
            }
            if isManifest {
                manifestData = kept
                let manifest = try ManifestParser(maxBytes: limits.maxManifestBytes).parse(kept)
                contents = try BundleManifest.contents(from: manifest)
                let names = Set(directory.entries.indices.filter { $0 != manifestIndex }.map { directory.entries[$0].displayName })
                moduleEntries = try BundleModules.assign(&contents, entries: names)
            } else if isModule {
                contents.modules[entry.displayName] = [UInt8](kept)
            }
        }
        return manifestData == nil ? BundleContents() : contents
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Rejects names that are empty, too long, too deep, absolute, contain NUL, or climb out
    /// with `..` (with `/` or `\` as separator).
    static func validateName(_ entry: ZipEntry, limits: BundleLimits) throws {
        let bytes = entry.nameBytes
        let name = entry.displayName
        guard !bytes.isEmpty else {
            throw BundleError("zip archive has an entry with an empty name")
        }
        if bytes.count > limits.maxPathBytes {
            throw BundleError(
                "zip entry '\(name)' has a path of \(bytes.count) bytes, more than the limit of "
                    + "\(limits.maxPathBytes) bytes")
        }
        if bytes.contains(0) {
            throw BundleError("zip entry '\(name)' has a NUL byte in its name")
        }
        let slash = UInt8(ascii: "/")
        let backslash = UInt8(ascii: "\\")
        let isLetter = { (b: UInt8) in (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        if bytes[0] == slash || bytes[0] == backslash || (bytes.count >= 2 && isLetter(bytes[0]) && bytes[1] == UInt8(ascii: ":")) {
            throw BundleError("zip entry '\(name)' has an absolute path")
        }
        let components = bytes.split(omittingEmptySubsequences: true, whereSeparator: { $0 == slash || $0 == backslash })
        if components.contains(where: { $0.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) }) {
            throw BundleError("zip entry '\(name)' escapes the archive")
        }
        if components.count > limits.maxPathDepth {
            throw BundleError(
                "zip entry '\(name)' is nested \(components.count) levels deep, more than the limit of "
                    + "\(limits.maxPathDepth)")
        }
    }
}

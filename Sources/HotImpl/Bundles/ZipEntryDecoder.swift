import Foundation
import ZIPFoundation

/// Streams one zip entry's data through bounded buffers: stored (0), deflate (8) or zstd (93).
struct ZipEntryDecoder {
    static let bufferSize = 64 * 1024
    static let supportedMethods: Set<UInt16> = [0, 8, 93]

    let reader: ZipFileReader
    let zstd: ZstdLibrary?
    let zstdLibraryName: String

    static func methodName(_ method: UInt16) -> String {
        switch method {
        case 0: return "stored"
        case 1: return "shrink"
        case 2, 3, 4, 5: return "reduce"
        case 6: return "implode"
        case 8: return "deflate"
        case 9: return "deflate64"
        case 12: return "bzip2"
        case 14: return "LZMA"
        case 93: return "zstd"
        case 95: return "XZ"
        case 98: return "PPMd"
        case 99: return "AES encryption"
        default: return "unknown"
        }
    }

    /// Throws unless `entry`'s method can be decoded on this server.
    func checkSupported(_ entry: ZipEntry) throws {
        guard ZipEntryDecoder.supportedMethods.contains(entry.method) else {
            throw BundleError(
                "zip entry '\(entry.displayName)' uses compression method \(entry.method) "
                    + "(\(ZipEntryDecoder.methodName(entry.method))), which is not supported "
                    + "(only stored, deflate and zstd are)")
        }
        if entry.method == 93 && zstd == nil {
            throw BundleError(
                "zstd-compressed entry '\(entry.displayName)' cannot be read: "
                    + "\(zstdLibraryName) is not available on this server")
        }
    }

    /// Feeds the entry's decompressed bytes, chunk by chunk, to `consume` (which may throw to abort).
    func decode(_ entry: ZipEntry, dataOffset: Int64, consume: (Data) throws -> Void) throws {
        try checkSupported(entry)
        let size = entry.compressedSize
        let what = "data of zip entry '\(entry.displayName)'"
        switch entry.method {
        case 0:
            var offset: Int64 = 0
            while offset < size {
                let count = Int(min(Int64(ZipEntryDecoder.bufferSize), size - offset))
                try consume(try reader.read(at: dataOffset + offset, count: count, what: what))
                offset += Int64(count)
            }
        case 8:
            try inflate(entry, dataOffset: dataOffset, what: what, consume: consume)
        default:
            guard let zstd else { return }  // unreachable: checkSupported threw
            try zstd.decompress(
                entryName: entry.displayName,
                compressedSize: size,
                chunkSize: ZipEntryDecoder.bufferSize,
                readChunk: { offset, count in try reader.read(at: dataOffset + offset, count: count, what: what) },
                consume: consume)
        }
    }

    private func inflate(_ entry: ZipEntry, dataOffset: Int64, what: String, consume: (Data) throws -> Void) throws {
        let size = entry.compressedSize
        let bufferSize = ZipEntryDecoder.bufferSize
        var offset: Int64 = 0
        var exhausted = false
        do {
            _ = try Data.decompress(
                size: size, bufferSize: bufferSize, skipCRC32: true,
                provider: { _, _ in
                    if exhausted {
                        throw BundleError("zip entry '\(entry.displayName)': deflate data is truncated")
                    }
                    let count = Int(min(Int64(bufferSize), size - offset))
                    var chunk = try reader.read(at: dataOffset + offset, count: count, what: what)
                    offset += Int64(count)
                    if offset >= size { exhausted = true }
                    // ZIPFoundation's Linux inflate loop tells zlib every chunk holds exactly
                    // `bufferSize` bytes, so a short final chunk is padded to keep zlib inside it.
                    if chunk.count < bufferSize { chunk.append(Data(count: bufferSize - chunk.count)) }
                    return chunk
                },
                consumer: consume)
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError("zip entry '\(entry.displayName)': deflate data is corrupt")
        }
    }
}

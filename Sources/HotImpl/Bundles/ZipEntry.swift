import Foundation

/// One central-directory record of a zip archive.
struct ZipEntry: Sendable {
    /// The raw name bytes, as stored.
    var nameBytes: [UInt8]
    /// The name for messages (lossy UTF-8, NULs shown as `\0`, shortened if very long).
    var displayName: String
    var flags: UInt16
    var method: UInt16
    var crc32: UInt32
    var compressedSize: Int64
    var uncompressedSize: Int64
    var localHeaderOffset: Int64

    init(
        nameBytes: [UInt8], flags: UInt16, method: UInt16, crc32: UInt32,
        compressedSize: Int64, uncompressedSize: Int64, localHeaderOffset: Int64
    ) {
        self.nameBytes = nameBytes
        var name = String(decoding: nameBytes, as: UTF8.self).replacingOccurrences(of: "\0", with: "\\0")
        if name.count > 200 { name = String(name.prefix(200)) + "…" }
        self.displayName = name
        self.flags = flags
        self.method = method
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.localHeaderOffset = localHeaderOffset
    }
}

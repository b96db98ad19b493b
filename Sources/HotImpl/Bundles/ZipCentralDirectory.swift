import Foundation

/// Locates and parses a zip archive's central directory (classic or ZIP64).
struct ZipCentralDirectory {
    static let endOfCentralDirectorySignature: UInt32 = 0x0605_4b50
    static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let centralHeaderSignature: UInt32 = 0x0201_4b50
    static let localHeaderSignature: UInt32 = 0x0403_4b50

    var entries: [ZipEntry]
    /// Where the central directory starts; all entry data must lie before it.
    var offset: Int64

    static func u16(_ data: Data, _ at: Int) -> UInt16 {
        let i = data.startIndex + at
        return UInt16(data[i]) | UInt16(data[i + 1]) << 8
    }

    static func u32(_ data: Data, _ at: Int) -> UInt32 {
        let i = data.startIndex + at
        return UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
    }

    static func u64(_ data: Data, _ at: Int) -> UInt64 {
        UInt64(u32(data, at)) | UInt64(u32(data, at + 4)) << 32
    }

    static func read(from reader: ZipFileReader, limits: BundleLimits) throws -> ZipCentralDirectory {
        let eocdSize = 22
        guard reader.size >= Int64(eocdSize) else {
            throw BundleError("not a zip archive: the file is only \(reader.size) bytes")
        }
        // The end record sits at the very end, followed by a comment of at most 64 KiB.
        let tailCount = Int(min(reader.size, Int64(eocdSize + 0xFFFF)))
        let tailStart = reader.size - Int64(tailCount)
        let tail = try reader.read(at: tailStart, count: tailCount, what: "end of the zip archive")
        var found: Int?
        var index = tailCount - eocdSize
        while index >= 0 {
            if u32(tail, index) == endOfCentralDirectorySignature
                && index + eocdSize + Int(u16(tail, index + 20)) <= tailCount
            {
                found = index
                break
            }
            index -= 1
        }
        guard let eocdIndex = found else {
            throw BundleError("not a zip archive: no end-of-central-directory record found")
        }
        let eocdOffset = tailStart + Int64(eocdIndex)
        let diskNumber = u16(tail, eocdIndex + 4)
        let cdDisk = u16(tail, eocdIndex + 6)
        let entriesOnDisk = u16(tail, eocdIndex + 8)
        var totalEntries = Int64(u16(tail, eocdIndex + 10))
        var cdSize = Int64(u32(tail, eocdIndex + 12))
        var cdOffset = Int64(u32(tail, eocdIndex + 16))
        var directoryEnd = eocdOffset

        let needsZip64 = totalEntries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF
        if needsZip64 {
            let locatorOffset = eocdOffset - 20
            let locator = try reader.read(at: locatorOffset, count: 20, what: "ZIP64 end-of-central-directory locator")
            guard u32(locator, 0) == zip64LocatorSignature else {
                throw BundleError("zip archive declares ZIP64 sizes but has no ZIP64 end-of-central-directory locator")
            }
            guard u32(locator, 4) == 0, u32(locator, 16) <= 1 else {
                throw BundleError("multi-disk (spanned) zip archives are not supported")
            }
            let recordOffset64 = u64(locator, 8)
            guard recordOffset64 < UInt64(locatorOffset) else {
                throw BundleError("ZIP64 end-of-central-directory record offset is invalid")
            }
            let recordOffset = Int64(recordOffset64)
            let record = try reader.read(at: recordOffset, count: 56, what: "ZIP64 end-of-central-directory record")
            guard u32(record, 0) == zip64EndOfCentralDirectorySignature else {
                throw BundleError("ZIP64 end-of-central-directory record is missing or damaged")
            }
            guard u32(record, 16) == 0, u32(record, 20) == 0 else {
                throw BundleError("multi-disk (spanned) zip archives are not supported")
            }
            let total64 = u64(record, 32)
            let size64 = u64(record, 40)
            let offset64 = u64(record, 48)
            guard total64 <= UInt64(Int32.max), size64 <= UInt64(Int64.max), offset64 <= UInt64(Int64.max) else {
                throw BundleError("ZIP64 end-of-central-directory record has impossible values")
            }
            totalEntries = Int64(total64)
            cdSize = Int64(size64)
            cdOffset = Int64(offset64)
            directoryEnd = recordOffset
        } else {
            guard diskNumber == 0, cdDisk == 0, entriesOnDisk == UInt16(totalEntries) else {
                throw BundleError("multi-disk (spanned) zip archives are not supported")
            }
        }

        if totalEntries > Int64(limits.maxEntries) {
            throw BundleError("zip archive has \(totalEntries) entries, more than the limit of \(limits.maxEntries)")
        }
        guard cdOffset >= 0, cdSize >= 0, cdOffset <= directoryEnd, cdSize <= directoryEnd - cdOffset else {
            throw BundleError("zip central directory lies outside the archive")
        }

        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(totalEntries))
        var position = cdOffset
        let cdEnd = cdOffset + cdSize
        for number in 0..<totalEntries {
            let what = "central directory record #\(number + 1)"
            guard cdEnd - position >= 46 else {
                throw BundleError("zip central directory is shorter than its \(totalEntries) entries (\(what) is missing)")
            }
            let header = try reader.read(at: position, count: 46, what: what)
            guard u32(header, 0) == centralHeaderSignature else {
                throw BundleError("zip central directory is damaged: \(what) has a bad signature")
            }
            let nameLength = Int(u16(header, 28))
            let extraLength = Int(u16(header, 30))
            let commentLength = Int(u16(header, 32))
            let recordLength = Int64(46 + nameLength + extraLength + commentLength)
            guard recordLength <= cdEnd - position else {
                throw BundleError("zip central directory is damaged: \(what) runs past its end")
            }
            let nameBytes = [UInt8](try reader.read(at: position + 46, count: nameLength, what: what))
            let extra = try reader.read(at: position + 46 + Int64(nameLength), count: extraLength, what: what)

            // A Unix symbolic link (made by Unix, file type 0o120000) could point anywhere once extracted.
            if u16(header, 4) >> 8 == 3, (u32(header, 38) >> 16) & 0o170000 == 0o120000 {
                let probe = ZipEntry(
                    nameBytes: nameBytes, flags: 0, method: 0, crc32: 0, compressedSize: 0, uncompressedSize: 0, localHeaderOffset: 0)
                throw BundleError("zip entry '\(probe.displayName)' is a symbolic link, which a bundle may not contain")
            }
            var uncompressed = Int64(u32(header, 24))
            var compressed = Int64(u32(header, 20))
            var localOffset = Int64(u32(header, 42))
            let diskStart = u16(header, 34)
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF
                || diskStart == 0xFFFF
            {
                let probe = ZipEntry(
                    nameBytes: nameBytes, flags: 0, method: 0, crc32: 0, compressedSize: 0, uncompressedSize: 0,
                    localHeaderOffset: 0)
                guard let zip64 = zip64Field(in: extra) else {
                    throw BundleError("zip entry '\(probe.displayName)' has ZIP64 sizes but no ZIP64 extra field")
                }
                var cursor = 0
                func next() throws -> Int64 {
                    guard cursor + 8 <= zip64.count else {
                        throw BundleError("zip entry '\(probe.displayName)' has a truncated ZIP64 extra field")
                    }
                    let value = u64(zip64, cursor)
                    cursor += 8
                    guard value <= UInt64(Int64.max) else {
                        throw BundleError("zip entry '\(probe.displayName)' has an impossible ZIP64 size")
                    }
                    return Int64(value)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                if compressed == 0xFFFF_FFFF { compressed = try next() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next() }
            }
            entries.append(
                ZipEntry(
                    nameBytes: nameBytes, flags: u16(header, 8), method: u16(header, 10), crc32: u32(header, 16),
                    compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            position += recordLength
        }
        guard position == cdEnd else {
            throw BundleError(
                "zip central directory size does not match its entries (\(cdEnd - position) unexplained bytes)")
        }
        return ZipCentralDirectory(entries: entries, offset: cdOffset)
    }

    /// The payload of the ZIP64 extended-information extra field (id 0x0001), if present.
    static func zip64Field(in extra: Data) -> Data? {
        var index = 0
        while index + 4 <= extra.count {
            let id = u16(extra, index)
            let length = Int(u16(extra, index + 2))
            guard index + 4 + length <= extra.count else { return nil }
            if id == 0x0001 {
                let start = extra.startIndex + index + 4
                return extra.subdata(in: start..<(start + length))
            }
            index += 4 + length
        }
        return nil
    }
}

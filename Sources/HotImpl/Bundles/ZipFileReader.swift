import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Positioned reads from a file on disk, with a small read-ahead window so that
/// scanning the central directory does not cost one system call per field.
/// Used by one thread at a time (it is created and consumed inside one `BundleReader.read`).
final class ZipFileReader {
    static let windowSize = 64 * 1024

    let size: Int64
    private let descriptor: Int32
    private var window = Data()
    private var windowStart: Int64 = 0

    init(url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BundleError("cannot open bundle file: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BundleError("cannot read bundle file: \(reason)")
        }
        descriptor = fd
        size = Int64(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Exactly `count` bytes at `offset`; `what` describes the structure for the error message.
    func read(at offset: Int64, count: Int, what: @autoclosure () -> String) throws -> Data {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw BundleError("\(what()) lies outside the file (offset \(offset), \(count) bytes, file is \(size) bytes)")
        }
        if count == 0 { return Data() }
        if offset >= windowStart && offset + Int64(count) <= windowStart + Int64(window.count) {
            let start = Int(offset - windowStart)
            return window.subdata(in: start..<(start + count))
        }
        if count < ZipFileReader.windowSize {
            let windowCount = Int(min(Int64(ZipFileReader.windowSize), size - offset))
            window = try readDirect(at: offset, count: windowCount, what: what())
            windowStart = offset
            return window.subdata(in: 0..<count)
        }
        return try readDirect(at: offset, count: count, what: what())
    }

    private func readDirect(at offset: Int64, count: Int, what: String) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BundleError("cannot read \(what): \(String(cString: strerror(errno)))")
                }
                if n == 0 {
                    throw BundleError("\(what) is cut short: the file ended early")
                }
                done += n
            }
        }
        return data
    }
}

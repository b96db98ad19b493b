import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// libzstd, loaded at run time with `dlopen` (the server has the shared library but no headers).
///
/// `shared` loads `libzstd.so.1` once, lazily and thread-safely (a `static let`); it is nil
/// when the library cannot be loaded. Tests may load a different (e.g. missing) library name.
///
/// Safety of `@unchecked Sendable`: every stored property is an immutable `let` set once in
/// `init` — the `dlopen` handle, the library name and C function pointers — so sharing an
/// instance between threads cannot race. The zstd functions used are thread-safe as long as
/// each thread uses its own stream/context, and every call of `decompress`/`compress` creates
/// and frees its own context.
package final class ZstdLibrary: @unchecked Sendable {
    typealias CreateDStream = @convention(c) () -> OpaquePointer?
    typealias FreeDStream = @convention(c) (OpaquePointer?) -> Int
    typealias InitDStream = @convention(c) (OpaquePointer?) -> Int
    typealias DecompressStream = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int
    typealias SetParameter = @convention(c) (OpaquePointer?, Int32, Int32) -> Int
    typealias IsError = @convention(c) (Int) -> UInt32
    typealias GetErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?
    typealias Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
    typealias CompressBound = @convention(c) (Int) -> Int

    /// The library every production read uses: `libzstd.so.1`, or nil when it is not installed.
    package static let shared: ZstdLibrary? = ZstdLibrary(libraryName: "libzstd.so.1")

    /// `ZSTD_d_windowLogMax`: refuse frames that need more than 2^24 bytes (16 MiB) of window.
    static let maxWindowLog: Int32 = 24

    let libraryName: String
    private let handle: UnsafeMutableRawPointer
    private let createDStream: CreateDStream
    private let freeDStream: FreeDStream
    private let initDStream: InitDStream
    private let decompressStream: DecompressStream
    private let setParameter: SetParameter?
    private let isError: IsError
    private let getErrorName: GetErrorName
    private let compressFunction: Compress?
    private let compressBound: CompressBound?

    /// Loads `libraryName`; nil if the library or one of the required symbols is missing.
    init?(libraryName: String) {
        guard let handle = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            guard let pointer = dlsym(handle, name) else { return nil }
            return unsafeBitCast(pointer, to: type)
        }
        guard let create = symbol("ZSTD_createDStream", as: CreateDStream.self),
            let free = symbol("ZSTD_freeDStream", as: FreeDStream.self),
            let initStream = symbol("ZSTD_initDStream", as: InitDStream.self),
            let decompress = symbol("ZSTD_decompressStream", as: DecompressStream.self),
            let isError = symbol("ZSTD_isError", as: IsError.self),
            let errorName = symbol("ZSTD_getErrorName", as: GetErrorName.self)
        else {
            dlclose(handle)
            return nil
        }
        self.libraryName = libraryName
        self.handle = handle
        self.createDStream = create
        self.freeDStream = free
        self.initDStream = initStream
        self.decompressStream = decompress
        self.isError = isError
        self.getErrorName = errorName
        self.setParameter = symbol("ZSTD_DCtx_setParameter", as: SetParameter.self)
        self.compressFunction = symbol("ZSTD_compress", as: Compress.self)
        self.compressBound = symbol("ZSTD_compressBound", as: CompressBound.self)
    }

    deinit {
        dlclose(handle)
    }

    private func errorName(_ code: Int) -> String {
        guard let name = getErrorName(code) else { return "unknown error" }
        return String(cString: name)
    }

    /// Streams a zstd stream (one or more frames) of `compressedSize` bytes through bounded
    /// buffers. `readChunk(offset, count)` supplies input; `consume` receives each piece of
    /// output (valid only during the call). Errors are `BundleError`s naming `entryName`.
    func decompress(
        entryName: String,
        compressedSize: Int64,
        chunkSize: Int = 64 * 1024,
        outputSize: Int = 128 * 1024,
        readChunk: (_ offset: Int64, _ count: Int) throws -> Data,
        consume: (Data) throws -> Void
    ) throws {
        guard compressedSize > 0 else {
            throw BundleError("zip entry '\(entryName)': zstd data is empty")
        }
        guard let stream = createDStream() else {
            throw BundleError("zip entry '\(entryName)': cannot create a zstd decompression stream")
        }
        defer { _ = freeDStream(stream) }
        let initResult = initDStream(stream)
        if isError(initResult) != 0 {
            throw BundleError("zip entry '\(entryName)': zstd initialisation failed: \(errorName(initResult))")
        }
        if let setParameter {
            _ = setParameter(stream, 100 /* ZSTD_d_windowLogMax */, ZstdLibrary.maxWindowLog)
        }
        let output = UnsafeMutableRawPointer.allocate(byteCount: outputSize, alignment: 16)
        defer { output.deallocate() }
        // ZSTD_inBuffer / ZSTD_outBuffer are { pointer, size_t size, size_t pos }: three words.
        let word = MemoryLayout<Int>.size
        let inBuffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * word, alignment: word)
        defer { inBuffer.deallocate() }
        let outBuffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * word, alignment: word)
        defer { outBuffer.deallocate() }

        var offset: Int64 = 0
        var lastResult = 0
        while offset < compressedSize {
            let count = Int(min(Int64(chunkSize), compressedSize - offset))
            let chunk = try readChunk(offset, count)
            offset += Int64(count)
            try chunk.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
                inBuffer.storeBytes(of: Int(bitPattern: source.baseAddress), toByteOffset: 0, as: Int.self)
                inBuffer.storeBytes(of: source.count, toByteOffset: word, as: Int.self)
                inBuffer.storeBytes(of: 0, toByteOffset: 2 * word, as: Int.self)
                while true {
                    outBuffer.storeBytes(of: Int(bitPattern: output), toByteOffset: 0, as: Int.self)
                    outBuffer.storeBytes(of: outputSize, toByteOffset: word, as: Int.self)
                    outBuffer.storeBytes(of: 0, toByteOffset: 2 * word, as: Int.self)
                    let result = decompressStream(stream, outBuffer, inBuffer)
                    if isError(result) != 0 {
                        throw BundleError("zip entry '\(entryName)': zstd data is corrupt: \(errorName(result))")
                    }
                    lastResult = result
                    let produced = outBuffer.load(fromByteOffset: 2 * word, as: Int.self)
                    if produced > 0 {
                        try consume(Data(bytesNoCopy: output, count: produced, deallocator: .none))
                    }
                    let consumed = inBuffer.load(fromByteOffset: 2 * word, as: Int.self)
                    if consumed >= source.count && produced < outputSize { break }
                }
            }
        }
        if lastResult != 0 {
            throw BundleError("zip entry '\(entryName)': zstd data is truncated")
        }
    }

    /// One-shot compression (used to build test archives).
    package func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        guard let compressFunction, let compressBound else {
            throw BundleError("\(libraryName) has no ZSTD_compress")
        }
        let capacity = compressBound(data.count)
        var output = Data(count: capacity)
        let written = data.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
            output.withUnsafeMutableBytes { (destination: UnsafeMutableRawBufferPointer) in
                compressFunction(destination.baseAddress, capacity, source.baseAddress, source.count, level)
            }
        }
        if isError(written) != 0 {
            throw BundleError("zstd compression failed: \(errorName(written))")
        }
        output.count = written
        return output
    }
}

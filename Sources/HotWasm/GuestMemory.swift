import WasmKit

/// A guest's linear memory as the host functions see it: every read and write is checked against
/// the memory's current size first, so a bad pointer or length from the guest becomes the guest's
/// trap (`WasmHostTrap`), never an access outside the memory. WasmKit's own accessors only
/// `precondition` their bounds, which would take the whole server down.
struct GuestMemory {
    let memory: Memory
    /// The WASI function being served, for the trap's message.
    let function: String

    /// The range `[pointer, pointer + count)`, when it lies inside the memory.
    private func checked(_ pointer: UInt32, _ count: UInt64) throws(WasmHostTrap) -> (offset: UInt, count: Int) {
        let end = UInt64(pointer) + count
        guard end <= UInt64(memory.byteCount) else {
            throw WasmHostTrap("\(function): guest pointer \(pointer) with length \(count) is outside the memory of \(memory.byteCount) bytes")
        }
        return (UInt(pointer), Int(count))
    }

    /// `pointer + count` as a guest address; a sum past 4 GiB is the guest's fault.
    static func advance(_ pointer: UInt32, by count: UInt64) throws(WasmHostTrap) -> UInt32 {
        let sum = UInt64(pointer) + count
        guard sum <= UInt64(UInt32.max) else { throw WasmHostTrap("guest address \(pointer) + \(count) is past 4 GiB") }
        return UInt32(sum)
    }

    func u32(at pointer: UInt32) throws(WasmHostTrap) -> UInt32 {
        let (offset, count) = try checked(pointer, 4)
        return memory.withUnsafeBufferPointer(offset: offset, count: count) { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    func u64(at pointer: UInt32) throws(WasmHostTrap) -> UInt64 {
        let (offset, count) = try checked(pointer, 8)
        return memory.withUnsafeBufferPointer(offset: offset, count: count) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    func u8(at pointer: UInt32) throws(WasmHostTrap) -> UInt8 {
        let (offset, count) = try checked(pointer, 1)
        return memory.withUnsafeBufferPointer(offset: offset, count: count) { $0[0] }
    }

    func store(_ value: UInt32, at pointer: UInt32) throws(WasmHostTrap) {
        let (offset, count) = try checked(pointer, 4)
        memory.withUnsafeMutableBufferPointer(offset: offset, count: count) { $0.storeBytes(of: value.littleEndian, as: UInt32.self) }
    }

    func store(_ value: UInt64, at pointer: UInt32) throws(WasmHostTrap) {
        let (offset, count) = try checked(pointer, 8)
        memory.withUnsafeMutableBufferPointer(offset: offset, count: count) { $0.storeBytes(of: value.littleEndian, as: UInt64.self) }
    }

    func store(_ value: UInt16, at pointer: UInt32) throws(WasmHostTrap) {
        let (offset, count) = try checked(pointer, 2)
        memory.withUnsafeMutableBufferPointer(offset: offset, count: count) { $0.storeBytes(of: value.littleEndian, as: UInt16.self) }
    }

    func store(_ value: UInt8, at pointer: UInt32) throws(WasmHostTrap) {
        let (offset, count) = try checked(pointer, 1)
        memory.withUnsafeMutableBufferPointer(offset: offset, count: count) { $0[0] = value }
    }

    /// Zeroes `count` bytes (structures the host fills only in part).
    func zero(_ pointer: UInt32, count: UInt32) throws(WasmHostTrap) {
        let (offset, length) = try checked(pointer, UInt64(count))
        memory.withUnsafeMutableBufferPointer(offset: offset, count: length) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }

    /// Copies `bytes` into the guest at `pointer`.
    func write<Bytes: Collection<UInt8>>(_ bytes: Bytes, at pointer: UInt32) throws(WasmHostTrap) {
        let (offset, count) = try checked(pointer, UInt64(bytes.count))
        memory.withUnsafeMutableBufferPointer(offset: offset, count: count) { _ = $0.copyBytes(from: bytes) }
    }

    /// Hands `body` the guest bytes `[pointer, pointer + count)`, valid only during the call.
    func withBytes<T>(_ pointer: UInt32, count: UInt32, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let (offset, length) = try checked(pointer, UInt64(count))
        return try memory.withUnsafeBufferPointer(offset: offset, count: length, body)
    }

    /// Hands `body` the writable guest bytes `[pointer, pointer + count)`, valid only during the call.
    func withMutableBytes<T>(_ pointer: UInt32, count: UInt32, _ body: (UnsafeMutableRawBufferPointer) throws -> T) throws -> T {
        let (offset, length) = try checked(pointer, UInt64(count))
        return try memory.withUnsafeMutableBufferPointer(offset: offset, count: length, body)
    }

    /// The `(buf, len)` pairs of an iovec array of `count` entries at `pointer`, each range checked.
    func iovecs(_ pointer: UInt32, count: UInt32) throws(WasmHostTrap) -> [(pointer: UInt32, length: UInt32)] {
        _ = try checked(pointer, UInt64(count) * 8)
        var vectors: [(pointer: UInt32, length: UInt32)] = []
        vectors.reserveCapacity(Int(min(count, 64)))
        for index in 0..<count {
            let base = pointer + index * 8
            let vector = (pointer: try u32(at: base), length: try u32(at: base + 4))
            _ = try checked(vector.pointer, UInt64(vector.length))
            vectors.append(vector)
        }
        return vectors
    }
}

/// A host function found the guest at fault (a pointer outside its memory, say): the run ends as a trap.
struct WasmHostTrap: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

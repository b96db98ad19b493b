import Foundation

/// LSB-first bit writer for building deflate streams by hand.
public struct BitWriter {
    public init() {}

    private(set) var bytes = Data()
    private var buffer: UInt32 = 0
    private var count = 0

    /// Writes `n` bits of `value`, least significant first (deflate's order for header fields).
    public mutating func bits(_ value: UInt32, _ n: Int) {
        for i in 0..<n { bit((value >> UInt32(i)) & 1) }
    }

    /// Writes a Huffman code of `length` bits, most significant first.
    public mutating func code(_ value: UInt32, _ length: Int) {
        for i in stride(from: length - 1, through: 0, by: -1) { bit((value >> UInt32(i)) & 1) }
    }

    public mutating func zeroBits(_ n: Int) {
        var remaining = n
        while remaining > 0 && count != 0 {
            bit(0)
            remaining -= 1
        }
        bytes.append(Data(count: remaining / 8))
        for _ in 0..<(remaining % 8) { bit(0) }
    }

    private mutating func bit(_ b: UInt32) {
        buffer |= b << UInt32(count)
        count += 1
        if count == 8 {
            bytes.append(UInt8(buffer))
            buffer = 0
            count = 0
        }
    }

    public mutating func finish() -> Data {
        if count > 0 {
            bytes.append(UInt8(buffer))
            buffer = 0
            count = 0
        }
        return bytes
    }
}

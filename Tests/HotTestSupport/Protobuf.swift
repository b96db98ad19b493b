/// The protobuf wire format, as far as reading messages goes: fields of varints, fixed 64 and 32
/// bits and length-delimited bytes.
enum Protobuf {
    struct Field {
        var number: Int
        var wireType: Int
    }

    /// A field's value: a number (varint, fixed) or bytes (length-delimited).
    struct Value {
        var number: UInt64 = 0
        var bytes: [UInt8] = []
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "malformed protobuf" }
    }

    static func fields(_ bytes: [UInt8]) throws -> [(Field, Value)] {
        var fields: [(Field, Value)] = []
        var offset = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func fixed(_ count: Int) throws -> UInt64 {
            guard offset + count <= bytes.count else { throw Malformed() }
            var result: UInt64 = 0
            for index in 0..<count { result |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += count
            return result
        }
        while offset < bytes.count {
            let key = try varint()
            let field = Field(number: Int(key >> 3), wireType: Int(key & 7))
            var value = Value()
            switch field.wireType {
            case 0: value.number = try varint()
            case 1: value.number = try fixed(8)
            case 2:
                let length = Int(try varint())
                guard length >= 0, offset + length <= bytes.count else { throw Malformed() }
                value.bytes = Array(bytes[offset..<offset + length])
                offset += length
            case 5: value.number = try fixed(4)
            default: throw Malformed()
            }
            fields.append((field, value))
        }
        return fields
    }
}

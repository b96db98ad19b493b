/// Cuts a byte stream into NDJSON lines as its chunks arrive: a line may be split across chunks and a
/// chunk may hold several lines. Lines end at `\n`; a `\r` before it is dropped; blank lines are skipped.
/// A line longer than `maxLineBytes` (counted without its line ending) is an error, raised as soon as
/// the pending part outgrows the cap, so a runtime that never sends a newline cannot grow memory unbounded.
struct NDJSONLineSplitter: Sendable {
    struct LineTooLong: Error, Equatable {
        let maxLineBytes: Int
    }

    let maxLineBytes: Int
    /// The start of a line whose end has not arrived yet.
    private var pending: [UInt8] = []

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Appends a chunk and returns the lines it completed, in order.
    mutating func append(_ chunk: some Collection<UInt8>) throws(LineTooLong) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rest = chunk[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: rest[..<newline])
            rest = rest[rest.index(after: newline)...]
            if let line = try takePending() { lines.append(line) }
        }
        pending.append(contentsOf: rest)
        // A pending `\r` may yet be the end of a `\r\n`, so allow one byte over the cap before failing.
        if pending.count > maxLineBytes + 1 || (pending.count == maxLineBytes + 1 && pending.last != UInt8(ascii: "\r")) {
            throw LineTooLong(maxLineBytes: maxLineBytes)
        }
        return lines
    }

    /// The last line when the stream ended without a final newline, if any.
    mutating func finish() throws(LineTooLong) -> [UInt8]? {
        try takePending()
    }

    private mutating func takePending() throws(LineTooLong) -> [UInt8]? {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        defer { pending.removeAll(keepingCapacity: true) }
        guard pending.count <= maxLineBytes else { throw LineTooLong(maxLineBytes: maxLineBytes) }
        let isBlank = pending.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        return isBlank ? nil : pending
    }
}

// handler.swift: a hot-server handler in Embedded Swift, for WASI preview 1.
//
// Embedded Swift has no Foundation and no WASI support of its own, so this file
// imports the few WASI functions it needs by hand (the `@_extern(wasm, ...)`
// declarations below) and exports `_start` itself. Heap memory (arrays) comes
// from wasi-libc's malloc, linked in by ../build; nothing else of libc is used.
//
// The run, as the server gives it:
//   argv[0]  the function's name (`greet` for "::demo::hello/greet")
//   env      HOT_RUN_ID, HOT_STREAM_ID, HOT_FN
//   stdin    one JSON object, read to EOF; this handler looks at
//            event.event_data.name (a string) and ignores the rest
// It answers on stdout, one JSON object a line:
//   {"type":"data","data_type":"ai:delta","payload":{"text":"Hello, "}}   (three of these)
//   {"type":"result","result":{"fn":"greet","text":"Hello, Ada!","bytes_in":N}}
// or {"type":"error","error":{"message":...}} when stdin is not a JSON object.
// A schedule run, or an event without a name, greets "world".
//
// Build: ../build (see the swiftc and wasm-ld lines there).

// MARK: - WASI imports (wasi_snapshot_preview1)

/// A buffer for fd_read / fd_write: pointer and length, 4 bytes each on wasm32.
struct IOVec {
    var buf: UnsafeMutableRawPointer?
    var len: UInt
}

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_read")
@_extern(c)
func wasi_fd_read(_ fd: Int32, _ iovs: UnsafeRawPointer, _ iovsCount: Int, _ nread: UnsafeMutablePointer<UInt>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_write")
@_extern(c)
func wasi_fd_write(_ fd: Int32, _ iovs: UnsafeRawPointer, _ iovsCount: Int, _ nwritten: UnsafeMutablePointer<UInt>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "args_sizes_get")
@_extern(c)
func wasi_args_sizes_get(_ count: UnsafeMutablePointer<UInt>, _ bufSize: UnsafeMutablePointer<UInt>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "args_get")
@_extern(c)
func wasi_args_get(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, _ buf: UnsafeMutablePointer<UInt8>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "environ_sizes_get")
@_extern(c)
func wasi_environ_sizes_get(_ count: UnsafeMutablePointer<UInt>, _ bufSize: UnsafeMutablePointer<UInt>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "environ_get")
@_extern(c)
func wasi_environ_get(_ environ: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, _ buf: UnsafeMutablePointer<UInt8>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "proc_exit")
@_extern(c)
func wasi_proc_exit(_ code: UInt32)

/// Ends the module with exit status `code`. proc_exit does not return; the trap
/// after it only tells Swift so (a C function cannot be declared `Never`).
func exit(_ code: UInt32) -> Never {
    wasi_proc_exit(code)
    fatalError()
}

// MARK: - Bytes in, bytes out
//
// Text is kept as [UInt8] (UTF-8) throughout: Embedded Swift's String works,
// but byte arrays keep the module small and map straight onto WASI's buffers.

/// Writes all of `bytes` to `fd` (1 is stdout, 2 is stderr); exits with 1 if WASI fails.
func write(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        var written: UInt = 0
        let errno = bytes.withUnsafeBufferPointer { all -> UInt16 in
            var iov = IOVec(buf: UnsafeMutableRawPointer(mutating: all.baseAddress! + offset),
                            len: UInt(all.count - offset))
            return wasi_fd_write(fd, &iov, 1, &written)
        }
        if errno != 0 { exit(1) }
        offset += Int(written)
    }
}

/// Reads stdin (fd 0) to EOF.
func readStdin() -> [UInt8] {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        var got: UInt = 0
        let errno = chunk.withUnsafeMutableBufferPointer { buf -> UInt16 in
            var iov = IOVec(buf: UnsafeMutableRawPointer(buf.baseAddress!), len: UInt(buf.count))
            return wasi_fd_read(0, &iov, 1, &got)
        }
        if errno != 0 { fail("could not read stdin") }
        if got == 0 { return data }
        data.append(contentsOf: chunk[0..<Int(got)])
    }
}

/// The program's arguments (argv) or environment (`KEY=value` strings) as byte arrays.
/// Both WASI calls share one shape: sizes first, then the NUL-terminated strings.
func wasiStrings(
    sizes: (UnsafeMutablePointer<UInt>, UnsafeMutablePointer<UInt>) -> UInt16,
    get: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<UInt8>) -> UInt16
) -> [[UInt8]] {
    var count: UInt = 0, size: UInt = 0
    guard sizes(&count, &size) == 0, count > 0 else { return [] }
    var pointers = [UnsafeMutablePointer<UInt8>?](repeating: nil, count: Int(count))
    var buffer = [UInt8](repeating: 0, count: Int(size))
    var result: [[UInt8]] = []
    pointers.withUnsafeMutableBufferPointer { ptrs in
        buffer.withUnsafeMutableBufferPointer { buf in
            guard get(ptrs.baseAddress!, buf.baseAddress!) == 0 else { return }
            for p in ptrs {
                guard var p = p else { continue }
                var s: [UInt8] = []
                while p.pointee != 0 { s.append(p.pointee); p += 1 }
                result.append(s)
            }
        }
    }
    return result
}

/// The value of environment variable `name`, if set.
func environment(_ name: StaticString) -> [UInt8]? {
    let prefix = bytes(name) + [UInt8(ascii: "=")]
    for entry in wasiStrings(sizes: wasi_environ_sizes_get, get: wasi_environ_get)
    where entry.count >= prefix.count && Array(entry[0..<prefix.count]) == prefix {
        return Array(entry[prefix.count...])
    }
    return nil
}

func bytes(_ s: StaticString) -> [UInt8] {
    Array(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
}

/// Decimal digits of a non-negative integer.
func digits(_ n: Int) -> [UInt8] {
    if n < 10 { return [UInt8(ascii: "0") + UInt8(n)] }
    return digits(n / 10) + digits(n % 10)
}

/// `text` as a JSON string, quotes included.
func jsonString(_ text: [UInt8]) -> [UInt8] {
    let hex = bytes("0123456789abcdef")
    var out: [UInt8] = [UInt8(ascii: "\"")]
    for c in text {
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), c]
        case UInt8(ascii: "\n"): out += bytes("\\n")
        case 0..<0x20: out += bytes("\\u00") + [hex[Int(c >> 4)], hex[Int(c & 15)]]
        default: out.append(c)
        }
    }
    out.append(UInt8(ascii: "\""))
    return out
}

/// Writes one NDJSON line to stdout. Each line is one fd_write, unbuffered,
/// so the server streams it while the module still runs.
func emit(_ line: [UInt8]) { write(1, line + [UInt8(ascii: "\n")]) }

/// Fails the run with an error line, then exits 0 (the line already says it failed).
func fail(_ message: StaticString) -> Never {
    emit(bytes("{\"type\":\"error\",\"error\":{\"message\":") + jsonString(bytes(message)) + bytes("}}"))
    exit(0)
}

// MARK: - A minimal JSON reader
//
// `JSONText` checks a value without building anything, finds members of
// objects and decodes strings: enough to pull a few fields out of the run.
// A value is a range of the input; once the input is checked, each range is
// valid JSON on its own.

struct JSONText {
    let text: [UInt8]

    func skipSpace(_ i: Int) -> Int {
        var i = i
        while i < text.count, text[i] == 0x20 || text[i] == 0x09 || text[i] == 0x0A || text[i] == 0x0D { i += 1 }
        return i
    }

    func at(_ i: Int) -> UInt8 { i < text.count ? text[i] : 0 }
    func isDigit(_ i: Int) -> Bool { at(i) >= UInt8(ascii: "0") && at(i) <= UInt8(ascii: "9") }

    /// The end of the string starting (on its quote) at `i`, or nil.
    func stringEnd(_ i: Int) -> Int? {
        guard at(i) == UInt8(ascii: "\"") else { return nil }
        var i = i + 1
        while i < text.count {
            switch text[i] {
            case UInt8(ascii: "\""): return i + 1
            case 0..<0x20: return nil
            case UInt8(ascii: "\\"):
                if at(i + 1) == UInt8(ascii: "u") {
                    for k in 2...5 where hexValue(at(i + k)) == nil { return nil }
                    i += 6
                } else if bytes("\"\\/bfnrt").contains(at(i + 1)) {
                    i += 2
                } else {
                    return nil
                }
            default: i += 1
            }
        }
        return nil
    }

    /// The end of the value starting at `i`, or nil if it is not valid JSON.
    func valueEnd(_ i: Int, depth: Int = 0) -> Int? {
        guard depth <= 64 else { return nil } // bounded nesting: the wasm stack is small
        switch at(i) {
        case UInt8(ascii: "\""): return stringEnd(i)
        case UInt8(ascii: "t"): return word(i, "true")
        case UInt8(ascii: "f"): return word(i, "false")
        case UInt8(ascii: "n"): return word(i, "null")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let isObject = at(i) == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            var i = skipSpace(i + 1)
            if at(i) == close { return i + 1 }
            while true {
                if isObject {
                    guard let keyEnd = stringEnd(i) else { return nil }
                    i = skipSpace(keyEnd)
                    guard at(i) == UInt8(ascii: ":") else { return nil }
                    i = skipSpace(i + 1)
                }
                guard let end = valueEnd(i, depth: depth + 1) else { return nil }
                i = skipSpace(end)
                if at(i) == close { return i + 1 }
                guard at(i) == UInt8(ascii: ",") else { return nil }
                i = skipSpace(i + 1)
            }
        default: return numberEnd(i)
        }
    }

    func word(_ i: Int, _ w: StaticString) -> Int? {
        let w = bytes(w)
        guard i + w.count <= text.count, Array(text[i..<(i + w.count)]) == w else { return nil }
        return i + w.count
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    func numberEnd(_ i: Int) -> Int? {
        var i = i
        if at(i) == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return nil }
        if at(i) == UInt8(ascii: "0") { i += 1 } else { while isDigit(i) { i += 1 } }
        if at(i) == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        }
        if at(i) == UInt8(ascii: "e") || at(i) == UInt8(ascii: "E") {
            i += 1
            if at(i) == UInt8(ascii: "+") || at(i) == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        }
        return i
    }

    /// Member `key` of the (checked) object at range `obj`, if it has one.
    /// Keys are compared as raw text, so a key written with escapes is not found.
    func member(_ obj: Range<Int>?, _ key: StaticString) -> Range<Int>? {
        guard let obj, at(obj.lowerBound) == UInt8(ascii: "{") else { return nil }
        let quoted = [UInt8(ascii: "\"")] + bytes(key) + [UInt8(ascii: "\"")]
        var i = skipSpace(obj.lowerBound + 1)
        while at(i) == UInt8(ascii: "\""), let keyEnd = stringEnd(i) {
            let valueStart = skipSpace(skipSpace(keyEnd) + 1)
            guard let valueEnd = valueEnd(valueStart) else { return nil }
            if Array(text[i..<keyEnd]) == quoted { return valueStart..<valueEnd }
            i = skipSpace(valueEnd)
            guard at(i) == UInt8(ascii: ",") else { return nil }
            i = skipSpace(i + 1)
        }
        return nil
    }

    /// The UTF-8 bytes of the (checked) string at `range`, escapes decoded;
    /// nil if the value there is not a string.
    func string(_ range: Range<Int>?) -> [UInt8]? {
        guard let range, at(range.lowerBound) == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var i = range.lowerBound + 1
        let end = range.upperBound - 1
        while i < end {
            let c = text[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = text[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = hex4(i)
                i += 4
                // A surrogate pair (\uD83D\uDE00) is one character.
                if code >= 0xD800, code < 0xDC00, at(i) == UInt8(ascii: "\\"), at(i + 1) == UInt8(ascii: "u") {
                    let low = hex4(i + 2)
                    if low >= 0xDC00, low < 0xE000 {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                out += utf8(code)
            default: out.append(e) // \" \\ \/
            }
        }
        return out
    }

    func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    func hex4(_ i: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 4 | (hexValue(at(i + $1)) ?? 0) }
    }

    /// UTF-8 encoding of one code point (a lone surrogate becomes U+FFFD).
    func utf8(_ c: UInt32) -> [UInt8] {
        switch c {
        case 0..<0x80: return [UInt8(c)]
        case 0x80..<0x800: return [UInt8(0xC0 | c >> 6), UInt8(0x80 | c & 0x3F)]
        case 0xD800..<0xE000: return [0xEF, 0xBF, 0xBD]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | c >> 12), UInt8(0x80 | c >> 6 & 0x3F), UInt8(0x80 | c & 0x3F)]
        default:
            return [UInt8(0xF0 | c >> 18), UInt8(0x80 | c >> 12 & 0x3F),
                    UInt8(0x80 | c >> 6 & 0x3F), UInt8(0x80 | c & 0x3F)]
        }
    }
}

// MARK: - The handler

@_expose(wasm, "_start")
@_cdecl("_start")
func start() {
    let fn = wasiStrings(sizes: wasi_args_sizes_get, get: wasi_args_get).first ?? []
    // Debug output goes to stderr: the server keeps it, and shows its end if the run fails.
    write(2, bytes("greet: run ") + (environment("HOT_RUN_ID") ?? bytes("?")) + [UInt8(ascii: "\n")])

    let input = readStdin()
    let json = JSONText(text: input)
    let start = json.skipSpace(0)
    guard json.at(start) == UInt8(ascii: "{"), let end = json.valueEnd(start),
          json.skipSpace(end) == input.count else {
        fail("stdin is not one JSON object")
    }
    let run = start..<end

    // event.event_data.name, when the run is an event whose data has a string name.
    let eventData = json.member(json.member(run, "event"), "event_data")
    let name = json.string(json.member(eventData, "name")) ?? bytes("world")

    // Stream the greeting in pieces, as a model streams its tokens.
    let pieces = [bytes("Hello, "), name, bytes("!")]
    for piece in pieces {
        emit(bytes("{\"type\":\"data\",\"data_type\":\"ai:delta\",\"payload\":{\"text\":")
             + jsonString(piece) + bytes("}}"))
    }

    emit(bytes("{\"type\":\"result\",\"result\":{\"fn\":") + jsonString(fn)
         + bytes(",\"text\":") + jsonString(pieces.flatMap { $0 })
         + bytes(",\"bytes_in\":") + digits(input.count) + bytes("}}"))
    // Returning from _start is exit status 0.
}

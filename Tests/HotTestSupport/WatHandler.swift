/// WebAssembly text of WASI command modules for tests: the imports most handlers need, one page of
/// memory, a `$write` helper, and a `_start` with the given body.
public enum WatHandler {
    /// `body` runs in `_start`; `$write(fd, pointer, length)` writes one buffer with fd_write (iovec
    /// at 0, nwritten at 8). Data at 16.. is free for `data` segments; 65536 is the end of memory.
    public static func command(imports: String = "", memory: String = #"(memory (export "memory") 1)"#, data: String = "",
                               body: String, extra: String = "") -> String {
        """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          \(imports)
          \(memory)
          \(data)
          (func $write (param $fd i32) (param $ptr i32) (param $len i32)
            (i32.store (i32.const 0) (local.get $ptr))
            (i32.store (i32.const 4) (local.get $len))
            (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
          \(extra)
          (func (export "_start") \(body)))
        """
    }

    /// `text` as a data segment at `offset`, escaped for WebAssembly text.
    public static func data(_ text: String, at offset: Int) -> String {
        let escaped = text.utf8.map { byte -> String in
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): return "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7f: return String(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16)
                return "\\" + (hex.count == 1 ? "0" + hex : hex)
            }
        }.joined()
        return #"(data (i32.const \#(offset)) "\#(escaped)")"#
    }

    /// Writes `lines` (each given its line break) to stdout, one write each, then returns.
    public static func writing(_ lines: [String], then tail: String = "") -> String {
        var offset = 1024
        var data: [String] = []
        var body: [String] = []
        for line in lines {
            let text = line + "\n"
            data.append(Self.data(text, at: offset))
            body.append("(call $write (i32.const 1) (i32.const \(offset)) (i32.const \(text.utf8.count)))")
            offset += text.utf8.count
        }
        return command(data: data.joined(separator: "\n"), body: body.joined(separator: "\n") + "\n" + tail)
    }

    /// Reads stdin to its end at 4096.., then writes `{"type":"result","result":<stdin>}`.
    public static let echoStdin = command(data: data(#"{"type":"result","result":"#, at: 1024) + data("}\n", at: 1100), body: """
        (local $end i32) (local $n i32)
        (local.set $end (i32.const 4096))
        (loop $more
          (i32.store (i32.const 16) (local.get $end))
          (i32.store (i32.const 20) (i32.sub (i32.const 65536) (local.get $end)))
          (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
          (local.set $n (i32.load (i32.const 24)))
          (local.set $end (i32.add (local.get $end) (local.get $n)))
          (br_if $more (i32.gt_u (local.get $n) (i32.const 0))))
        (call $write (i32.const 1) (i32.const 1024) (i32.const 26))
        (call $write (i32.const 1) (i32.const 4096) (i32.sub (local.get $end) (i32.const 4096)))
        (call $write (i32.const 1) (i32.const 1100) (i32.const 2))
        """)

    /// Sleeps `milliseconds` in poll_oneoff (a relative monotonic clock subscription), then runs `then`.
    public static func sleeping(milliseconds: Int, then body: String, data: String = "") -> String {
        command(imports: """
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            """, data: data, body: """
            (i32.store (i32.const 80) (i32.const 1))
            (i64.store (i32.const 88) (i64.const \(Int64(milliseconds) * 1_000_000)))
            (drop (call $poll (i32.const 64) (i32.const 256) (i32.const 1) (i32.const 16)))
            \(body)
            """)
    }
}

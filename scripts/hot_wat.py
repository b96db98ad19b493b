"""WebAssembly text of small WASI command modules, for scripts that deploy bundles (scripts/mcp-check,
scripts/bench-calls): the Python twin of Tests/HotTestSupport/WatHandler.swift.

    echo_stdin()            the run's stdin (the runtime request) back as its result
    writing([line, ...])    writes those NDJSON lines to stdout, then returns
"""
import json


def command(body, data=""):
    """A module with fd_write and fd_read, one page of memory, a $write(fd, ptr, len) helper (iovec at
    0, nwritten at 8) and a _start running `body`."""
    return f"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  {data}
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") {body}))
"""


def data(text, offset):
    """`text` as a data segment at `offset`, escaped for WebAssembly text."""
    escaped = "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:02x}" for b in text.encode())
    return f'(data (i32.const {offset}) "{escaped}")'


def writing(lines):
    """Writes each of `lines` (a string, or JSON to serialise) and a line break, one write each."""
    offset, segments, body = 1024, [], []
    for line in lines:
        text = (line if isinstance(line, str) else json.dumps(line, separators=(",", ":"))) + "\n"
        size = len(text.encode())
        segments.append(data(text, offset))
        body.append(f"(call $write (i32.const 1) (i32.const {offset}) (i32.const {size}))")
        offset += size
    return command("\n    ".join(body), data="\n  ".join(segments))


def echo_stdin():
    """Reads stdin to its end at 4096.. (up to 60 KiB), then writes {"type":"result","result":<stdin>}."""
    head = '{"type":"result","result":'
    return command(data="\n  ".join([data(head, 1024), data("}\n", 1100)]), body=f"""
    (local $end i32) (local $n i32)
    (local.set $end (i32.const 4096))
    (loop $more
      (i32.store (i32.const 16) (local.get $end))
      (i32.store (i32.const 20) (i32.sub (i32.const 65536) (local.get $end)))
      (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $n (i32.load (i32.const 24)))
      (local.set $end (i32.add (local.get $end) (local.get $n)))
      (br_if $more (i32.gt_u (local.get $n) (i32.const 0))))
    (call $write (i32.const 1) (i32.const 1024) (i32.const {len(head)}))
    (call $write (i32.const 1) (i32.const 4096) (i32.sub (local.get $end) (i32.const 4096)))
    (call $write (i32.const 1) (i32.const 1100) (i32.const 2))""")

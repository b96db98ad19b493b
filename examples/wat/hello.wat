;; hello.wat: the smallest useful hot-server handler, in WebAssembly text.
;;
;; A handler is a WASI preview 1 command: the server calls `_start`, gives the
;; run as JSON on stdin, and reads NDJSON lines from stdout. This one ignores
;; stdin and writes two lines to stdout (fd 1):
;;
;;   {"type":"data","data_type":"greeting","payload":{"text":"hello"}}
;;   {"type":"result","result":{"ok":true}}
;;
;; The data line is streamed live to the run's subscribers; the result line
;; ends the run with success. Returning from `_start` exits with status 0.
;;
;; Build:  python3 -c 'import wasmtime,sys; sys.stdout.buffer.write(wasmtime.wat2wasm(open("hello.wat").read()))' > hello.wasm
;;   (or `wat2wasm hello.wat` from wabt). The server also loads a `.wat`
;;   bundle entry as it is, so this file can go in a bundle unbuilt.
(module
  ;; fd_write(fd, iovs, iovs_len, nwritten_out) -> errno
  ;; Writes the buffers listed at `iovs` (pairs of i32: pointer, length) to
  ;; `fd` and stores the number of bytes written at `nwritten_out`.
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  ;; One page (64 KiB) of memory, exported as `memory` as WASI requires.
  (memory (export "memory") 1)

  ;; Memory layout:
  ;;   0..7    one iovec: pointer (i32) and length (i32) of the bytes to write
  ;;   8..11   where fd_write stores how many bytes it wrote
  ;;   16..    the two lines, each ending in "\n" (66 and 39 bytes)
  (data (i32.const 16)
    "{\"type\":\"data\",\"data_type\":\"greeting\",\"payload\":{\"text\":\"hello\"}}\n")
  (data (i32.const 82)
    "{\"type\":\"result\",\"result\":{\"ok\":true}}\n")

  ;; Write `len` bytes at `ptr` to stdout; trap if WASI reports an error
  ;; (a trap ends the module with a failure, which fails the run). A short
  ;; write is not retried: a line this small goes out whole.
  ;; Each call writes one whole line, so the server sees it at once: there
  ;; is no buffering to flush in a module that calls fd_write directly.
  (func $write_line (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))   ;; iovec.buf
    (i32.store (i32.const 4) (local.get $len))   ;; iovec.buf_len
    (if (i32.ne
          (call $fd_write
            (i32.const 1)    ;; fd 1: stdout
            (i32.const 0)    ;; the iovec above
            (i32.const 1)    ;; one iovec
            (i32.const 8))   ;; nwritten goes here
          (i32.const 0))     ;; errno 0 means success
      (then unreachable)))

  ;; The entry point the server runs.
  (func (export "_start")
    (call $write_line (i32.const 16) (i32.const 66))   ;; the data line
    (call $write_line (i32.const 82) (i32.const 39)))  ;; the result line
)

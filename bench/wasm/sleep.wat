;; The live-run module of scripts/bench-wasm and hot-bench-wasm: sleeps 1.5 s in poll_oneoff (one
;; relative clock subscription on the monotonic clock), then writes {"type":"result","result":null}.
;; Many of these at once show what a live run holds in memory.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..7: one iovec; 8..11: bytes written; 16..47: the line; 64..111: the subscription;
  ;; 128..159: its event; 160..163: how many events.
  (data (i32.const 16) "{\"type\":\"result\",\"result\":null}\n")
  (func (export "_start")
    (i64.store (i32.const 64) (i64.const 1))             ;; userdata
    (i32.store8 (i32.const 72) (i32.const 0))            ;; tag: clock
    (i32.store (i32.const 80) (i32.const 1))             ;; clock id: monotonic
    (i64.store (i32.const 88) (i64.const 1500000000))    ;; timeout: 1.5 s, relative
    (i64.store (i32.const 96) (i64.const 0))             ;; precision
    (i32.store16 (i32.const 104) (i32.const 0))          ;; flags: relative
    (drop (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))

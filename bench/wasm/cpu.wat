;; The CPU-bound module of scripts/bench-wasm and hot-bench-wasm: sums 0 .. 10^8 - 1 in a loop of
;; 10^8 i64 additions (and as many increments and compares), then writes
;; {"type":"result","result":4999999950000000} to stdout.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..7: one iovec; 24..27: bytes written; 32..57: the prefix, then the digits (made
  ;; backwards, ending at 128, and copied after it) and "}\n".
  (data (i32.const 32) "{\"type\":\"result\",\"result\":")
  (func (export "_start")
    (local $i i64) (local $sum i64) (local $p i32)
    (loop $add
      (local.set $sum (i64.add (local.get $sum) (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $add (i64.lt_u (local.get $i) (i64.const 100000000))))
    ;; The sum in decimal, written backwards from 128.
    (local.set $p (i32.const 128))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $sum) (i64.const 10))))
      (local.set $sum (i64.div_u (local.get $sum) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $sum) (i64.const 0))))
    ;; The line made whole at 32 (one iovec: a runtime may write less than all of several).
    (memory.copy (i32.const 58) (local.get $p) (i32.sub (i32.const 128) (local.get $p)))
    (i32.store16 (i32.add (i32.const 58) (i32.sub (i32.const 128) (local.get $p))) (i32.const 0x0a7d))   ;; "}\n"
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.add (i32.const 28) (i32.sub (i32.const 128) (local.get $p))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24)))))

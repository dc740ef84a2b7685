;; hostargs.wat - arguments and results of a host call (test_wasm_host.c, TEST(host_args)): i32
;; values computed by i32.wrap_i64 into a slot that held an i64 (its upper half is stale), an i64,
;; an f32 and an f64, and two results; a single result stored into a local (the call writes it
;; there directly), also while an older read of that local waits on the stack.
(module
  (import "env" "mix" (func $mix (param i32 i64 f32 f64 i32) (result i64 i32)))
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (func (export "twice-set") (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 1000))
    (local.get 1)
    (local.set 1 (call $twice (local.get 0)))
    (i32.add (i32.mul (local.get 1) (i32.const 10))))
  (func (export "go") (result i64 i32)
    (call $mix
      (i32.wrap_i64 (i64.const 0x1234567800000005))
      (i64.const 0x1234567800000005)
      (f32.const 1.5)
      (f64.const -2.25)
      (i32.wrap_i64 (i64.const 0x7777777712345678)))))

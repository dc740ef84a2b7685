;; slow.wat - a rune guest whose _call busy-loops for a long while (~200 ms in the
;; interpreter) and then returns 0: the agent must keep answering SMP meanwhile.
(module
  (memory (export "memory") 1)
  (global $sink (mut i32) (i32.const 0))
  (func (export "_manifest") (result i32) (i32.const 0))
  (func (export "_call") (result i32)
    (local $i i32)
    (local.set $i (i32.const 25000000))
    (loop $spin
      (global.set $sink (i32.add (global.get $sink) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $spin (local.get $i)))
    (i32.const 0)))

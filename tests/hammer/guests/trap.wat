;; trap.wat - a rune guest that starts fine and traps (unreachable) on every _call: the device must
;; roll it back on its own (Hammer's fault tests).
(module
  (import "runic" "capability_open" (func $open (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "n=4\n")
  (func (export "_manifest") (result i32)
    (drop (call $open (i32.const 1) (i32.const 16) (i32.const 4)))
    (i32.const 0))
  (func (export "_call") (result i32) unreachable))

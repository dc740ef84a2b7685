;; trap.wat - a rune guest that traps (unreachable) on every _call (agent rollback tests).
(module
  (memory (export "memory") 1)
  (func (export "_manifest") (result i32) (i32.const 0))
  (func (export "_call") (result i32) unreachable))

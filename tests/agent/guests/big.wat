;; big.wat - a rune guest that asks for 4 pages of memory at least (memory-limit tests).
(module
  (memory (export "memory") 4)
  (func (export "_manifest") (result i32) (i32.const 0))
  (func (export "_call") (result i32) (i32.const 0)))

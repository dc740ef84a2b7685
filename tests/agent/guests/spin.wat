;; spin.wat - a rune guest whose _call never returns (fuel tests).
(module
  (memory (export "memory") 1)
  (func (export "_manifest") (result i32) (i32.const 0))
  (func (export "_call") (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))

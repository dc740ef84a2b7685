;; good.wat - the smallest rune guest that behaves: _manifest and _call return 0 (agent tests).
(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "_manifest") (result i32) (i32.const 0))
  (func (export "_call") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.const 0)))

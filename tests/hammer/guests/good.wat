;; good.wat - a rune guest that behaves: opens its RAND capability (4 bytes a reading) in _manifest
;; and reads it on every _call (Hammer's tests: metrics count the reads).
(module
  (import "runic" "capability_open" (func $open (param i32 i32 i32) (result i32)))
  (import "runic" "capability_read" (func $read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "n=4\n")
  (global $h (mut i32) (i32.const -1))
  (func (export "_manifest") (result i32)
    (global.set $h (call $open (i32.const 1) (i32.const 16) (i32.const 4)))
    (if (result i32) (i32.lt_s (global.get $h) (i32.const 0))
      (then (global.get $h)) (else (i32.const 0))))
  (func (export "_call") (result i32)
    (if (result i32) (i32.eq (call $read (global.get $h) (i32.const 64) (i32.const 4)) (i32.const 4))
      (then (i32.const 0)) (else (i32.const -1)))))

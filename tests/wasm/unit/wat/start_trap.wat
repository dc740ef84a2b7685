;; start_trap.wat - the start function divides by zero: instantiation traps.
(module
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.div_u (i32.const 1) (global.get $g))))
  (start $start))

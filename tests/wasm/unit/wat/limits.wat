;; limits.wat - code that never ends on its own: stopped by fuel, call depth and value-stack limits.
(module
  (memory (export "memory") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  (func $down (export "recurse") (param i32) (result i32)
    (i32.add (i32.const 1) (call $down (local.get 0))))
  ;; a recursion with big frames: exhausts the value stack before the call depth
  (func $wide (export "wide") (param i32) (result i32)
    (local f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
           f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $wide (i32.sub (local.get 0) (i32.const 1)))))))
  ;; bulk work charges fuel by size: a budget stops this after few iterations
  (global $fills (export "fills") (mut i32) (i32.const 0))
  (func (export "fill_forever")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536))
      (global.set $fills (i32.add (global.get $fills) (i32.const 1)))
      (br $l)))
  (func (export "grow_all") (result i32) (local $n i32)
    (block $d (loop $l
      (br_if $d (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
)

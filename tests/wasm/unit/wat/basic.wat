;; basic.wat - exercises the interpreter: arithmetic, control flow, locals, memory, globals, tables,
;; multi-value, bulk memory and traps. Results are checked against C computations in test_wasm_exec.c.
(module
  (type $ii_i (func (param i32 i32) (result i32)))
  (memory (export "memory") 1 4)
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (global $k (export "k") i64 (i64.const -5))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 0) func $add $sub $mul)
  (data (i32.const 16) "hello, wasm")

  (func $add (type $ii_i) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $ii_i) (i32.mul (local.get 0) (local.get 1)))
  (export "add" (func $add))

  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))

  ;; iterative fibonacci: tee, loop, br_if
  (func (export "fib") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $t i32)
    (local.set $b (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i32.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))

  ;; swap locals through the stack: the compiler must not read a local after it changed
  (func (export "swap_locals") (param $x i32) (param $y i32) (result i32)
    (local.get $x) (local.get $y) (local.set $x) (local.set $y)
    (i32.sub (local.get $x) (local.get $y)))

  (func (export "apply") (param i32 i32 i32) (result i32)
    (call_indirect (type $ii_i) (local.get 1) (local.get 2) (local.get 0)))

  (func (export "classify") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 100)))
      (return (i32.const 200)))
      (return (i32.const 300)))
    (i32.const 400))

  (func (export "multi") (param i32 i32) (result i32 i32 i64)
    (local.get 1) (local.get 0) (i64.extend_i32_u (i32.add (local.get 0) (local.get 1))))

  (func (export "block_params") (param i32) (result i32)
    (local.get 0) (i32.const 3)
    (block (param i32 i32) (result i32) (i32.mul)))

  (func (export "sum_bytes") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s))

  (func (export "store_load64") (param i32 i64) (result i64)
    (i64.store offset=8 (local.get 0) (local.get 1))
    (i64.load offset=8 (local.get 0)))

  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))

  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill_copy") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2))
    (memory.copy (i32.add (local.get 0) (local.get 2)) (local.get 0) (local.get 2)))

  (func (export "pick") (param i32 f64 f64) (result f64)
    (select (local.get 1) (local.get 2) (local.get 0)))
  (func (export "fmin") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
  (func (export "fmax") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
  (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
  (func (export "fneg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
  (func (export "rotl") (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
  (func (export "shr_s") (param i32 i32) (result i32) (i32.shr_s (local.get 0) (local.get 1)))

  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "boom") (unreachable))
  (func (export "null_call") (result i32) (call_indirect (type $ii_i) (i32.const 1) (i32.const 2) (i32.const 3)))
  (func (export "bad_sig") (result i32) (call_indirect (param i32) (result i32) (i32.const 1) (i32.const 0)))
  (func (export "past_table") (result i32) (call_indirect (type $ii_i) (i32.const 1) (i32.const 2) (i32.const 9)))

  (func (export "table_ops") (result i32)
    (drop (table.grow $t (ref.func $mul) (i32.const 2)))
    (table.set $t (i32.const 3) (table.get $t (i32.const 5)))
    (i32.add (table.size $t)
      (call_indirect (type $ii_i) (i32.const 6) (i32.const 7) (i32.const 3))))
)

;; superinstr.wast - the interpreter's superinstructions (src/wasm/compile.c makes them, interp_run.c
;; runs them): each pattern in the form that is fused and in near misses that must not be, with
;; traps on every memory operand. Expected values were checked with wabt's spectest-interp.
;;   i += k; br_if i          -> bca_ne / bca_eq with 0
;;   x[i] += v                -> f32/f64/i32 _add_to_m (read-modify-write)
;;   x[i] += a * y[i]         -> f32_mla_to_m (product rounded before the add: no FMA)
;;   (s8)p[i] * (s8)q[j]      -> i32_mul_2m8s / _2m8u
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\f0\f1\f2\f3\f4\f5\f6\f7")

  ;; loops counting a negative index up to zero, the step kept in a local (tee) or a temporary
  (func (export "count-up-tee") (param i32 i32) (result i32) (local i32)
    (loop $l
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if $l (local.tee 0 (i32.add (local.get 0) (local.get 1)))))
    (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 0)))
  (func (export "count-up-const") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const 3)))))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 0)))
  ;; br_if on a fresh sum with a value for the function's result (the negated branch form)
  (func (export "br-if-sum") (param i32) (result i32)
    (drop (br_if 0 (i32.const 7) (local.tee 0 (i32.add (local.get 0) (i32.const 1)))))
    (i32.add (i32.const 100) (local.get 0)))
  (func (export "br-if-sum-temp") (param i32) (result i32)
    (drop (br_if 0 (i32.const 7) (i32.add (local.get 0) (i32.const -5))))
    (local.get 0))

  ;; x[i] += v
  (func (export "acc-f32") (param i32 f32) (result f32)
    (f32.store (local.get 0) (f32.add (local.get 1) (f32.load (local.get 0))))
    (f32.load (local.get 0)))
  (func (export "acc-f64") (param i32 f64) (result f64)
    (f64.store offset=8 (local.get 0) (f64.add (local.get 1) (f64.load offset=8 (local.get 0))))
    (f64.load offset=8 (local.get 0)))
  (func (export "acc-i32") (param i32 i32) (result i32)
    (i32.store (local.get 0) (i32.add (local.get 1) (i32.load (local.get 0))))
    (i32.load (local.get 0)))
  (func (export "acc-i32-abs") (param i32) (result i32)
    (i32.store offset=4 (i32.const 60) (i32.add (i32.load offset=4 (i32.const 60)) (local.get 0)))
    (i32.load (i32.const 64)))
  ;; near misses: another offset, another address local
  (func (export "acc-other-off") (param i32 i32) (result i32)
    (i32.store offset=4 (local.get 0) (i32.add (local.get 1) (i32.load (local.get 0))))
    (i32.load offset=4 (local.get 0)))
  (func (export "acc-other-addr") (param i32 i32 i32) (result i32)
    (i32.store (local.get 0) (i32.add (local.get 2) (i32.load (local.get 1))))
    (i32.load (local.get 0)))
  (func (export "set-f32") (param i32 f32) (f32.store (local.get 0) (local.get 1)))
  (func (export "get-f32") (param i32) (result f32) (f32.load (local.get 0)))

  ;; x[i] += a * y[i]
  (func (export "mla") (param i32 i32 f32) (result f32)
    (f32.store (local.get 0)
      (f32.add (f32.mul (local.get 2) (f32.load (local.get 1))) (f32.load (local.get 0))))
    (f32.load (local.get 0)))
  (func (export "mla-loop") (param i32 i32 f32 i32) (result f32) (local i32 f32)
    ;; n elements at p += a * q, then their sum
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 3)))
        (f32.store (local.get 0)
          (f32.add (f32.mul (local.get 2) (f32.load (local.get 1))) (f32.load (local.get 0))))
        (local.set 5 (f32.add (local.get 5) (f32.load (local.get 0))))
        (local.set 0 (i32.add (local.get 0) (i32.const 4)))
        (local.set 1 (i32.add (local.get 1) (i32.const 4)))
        (local.set 3 (i32.sub (local.get 3) (i32.const 1)))
        (br $l)))
    (local.get 5))

  ;; byte products
  (func (export "mul-s8") (param i32 i32) (result i32)
    (i32.mul (i32.load8_s (local.get 0)) (i32.load8_s offset=1 (local.get 1))))
  (func (export "mul-u8") (param i32 i32) (result i32)
    (i32.mul (i32.load8_u offset=2 (local.get 0)) (i32.load8_u (i32.add (local.get 1) (i32.const 3)))))
  (func (export "mul-su8") (param i32 i32) (result i32)
    (i32.mul (i32.load8_s (local.get 0)) (i32.load8_u (local.get 1))))
  (func (export "dot-s8") (param i32 i32) (result i32)
    (i32.add
      (i32.add (i32.mul (i32.load8_s (local.get 0)) (i32.load8_s (local.get 1)))
               (i32.mul (i32.load8_s offset=1 (local.get 0)) (i32.load8_s offset=1 (local.get 1))))
      (i32.mul (i32.load8_s offset=2 (local.get 0)) (i32.load8_s offset=2 (local.get 1)))))
)

(assert_return (invoke "count-up-tee" (i32.const -10) (i32.const 2)) (i32.const 5000))
(assert_return (invoke "count-up-tee" (i32.const -1) (i32.const 1)) (i32.const 1000))
(assert_return (invoke "count-up-const" (i32.const -12)) (i32.const 4000))
(assert_return (invoke "br-if-sum" (i32.const -1)) (i32.const 100))
(assert_return (invoke "br-if-sum" (i32.const 5)) (i32.const 7))
(assert_return (invoke "br-if-sum-temp" (i32.const 5)) (i32.const 5))
(assert_return (invoke "br-if-sum-temp" (i32.const 6)) (i32.const 7))

(assert_return (invoke "set-f32" (i32.const 100) (f32.const 1.5)))
(assert_return (invoke "acc-f32" (i32.const 100) (f32.const 2.25)) (f32.const 3.75))
(assert_return (invoke "acc-f32" (i32.const 100) (f32.const -3.75)) (f32.const 0))
(assert_return (invoke "acc-f64" (i32.const 200) (f64.const 0.5)) (f64.const 0.5))
(assert_return (invoke "acc-f64" (i32.const 200) (f64.const 0.25)) (f64.const 0.75))
(assert_return (invoke "acc-i32" (i32.const 4) (i32.const 0x10)) (i32.const 0x08070615))
(assert_return (invoke "acc-i32" (i32.const 32) (i32.const -1)) (i32.const -1))
(assert_return (invoke "acc-i32-abs" (i32.const 41)) (i32.const 41))
(assert_return (invoke "acc-i32-abs" (i32.const 1)) (i32.const 42))
(assert_return (invoke "acc-other-off" (i32.const 300) (i32.const 9)) (i32.const 9))
(assert_return (invoke "acc-other-addr" (i32.const 400) (i32.const 8) (i32.const 1)) (i32.const 0xf3f2f1f1))
(assert_trap (invoke "acc-f32" (i32.const 65533) (f32.const 1)) "out of bounds memory access")
(assert_trap (invoke "acc-f64" (i32.const 65528) (f64.const 1)) "out of bounds memory access")
(assert_trap (invoke "acc-i32" (i32.const -1) (i32.const 1)) "out of bounds memory access")

;; (1 + 2^-12)^2 rounds to 1 + 2^-11 in f32: the sum is exactly 0 (an FMA would give 2^-24)
(assert_return (invoke "set-f32" (i32.const 500) (f32.const 0x1.001p+0)))
(assert_return (invoke "set-f32" (i32.const 504) (f32.const -0x1.002p+0)))
(assert_return (invoke "mla" (i32.const 504) (i32.const 500) (f32.const 0x1.001p+0)) (f32.const 0))
(assert_return (invoke "set-f32" (i32.const 600) (f32.const 1)))
(assert_return (invoke "set-f32" (i32.const 604) (f32.const 2)))
(assert_return (invoke "set-f32" (i32.const 608) (f32.const 3)))
(assert_return (invoke "set-f32" (i32.const 700) (f32.const 10)))
(assert_return (invoke "set-f32" (i32.const 704) (f32.const 20)))
(assert_return (invoke "set-f32" (i32.const 708) (f32.const 30)))
(assert_return (invoke "mla-loop" (i32.const 600) (i32.const 700) (f32.const 0.5) (i32.const 3)) (f32.const 36))
(assert_return (invoke "get-f32" (i32.const 608)) (f32.const 18))
;; a trap on either load leaves the destination unchanged
(assert_trap (invoke "mla" (i32.const 600) (i32.const 65534) (f32.const 1)) "out of bounds memory access")
(assert_trap (invoke "mla" (i32.const 65534) (i32.const 600) (f32.const 1)) "out of bounds memory access")
(assert_return (invoke "get-f32" (i32.const 600)) (f32.const 6))

(assert_return (invoke "mul-s8" (i32.const 8) (i32.const 0)) (i32.const -32))
(assert_return (invoke "mul-s8" (i32.const 9) (i32.const 8)) (i32.const 225))
(assert_return (invoke "mul-u8" (i32.const 8) (i32.const 12)) (i32.const 59774))
(assert_return (invoke "mul-su8" (i32.const 8) (i32.const 9)) (i32.const -3856))
(assert_return (invoke "dot-s8" (i32.const 0) (i32.const 8)) (i32.const -88))
(assert_trap (invoke "mul-s8" (i32.const 65536) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "mul-s8" (i32.const 0) (i32.const 65535)) "out of bounds memory access")
(assert_trap (invoke "mul-u8" (i32.const 65534) (i32.const 0)) "out of bounds memory access")
;; the folded address add wraps around like the i32.add it replaces
(assert_return (invoke "mul-u8" (i32.const 0) (i32.const -3)) (i32.const 3))
(assert_trap (invoke "mul-u8" (i32.const 0) (i32.const -4)) "out of bounds memory access")

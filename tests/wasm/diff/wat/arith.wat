;; Differential module: integer arithmetic on arbitrary inputs, including trapping division and
;; conversions.
(module
  (func (export "i32_ops") (param i32 i32) (result i32)
    (i32.xor
      (i32.add (i32.mul (local.get 0) (local.get 1)) (i32.rotl (local.get 0) (local.get 1)))
      (i32.sub (i32.shr_s (local.get 0) (local.get 1)) (i32.clz (local.get 1)))))
  (func (export "i32_div") (param i32 i32) (result i32)
    (i32.add (i32.div_s (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1))))
  (func (export "i64_ops") (param i64 i64) (result i64)
    (i64.add (i64.mul (local.get 0) (local.get 1))
      (i64.xor (i64.rotr (local.get 0) (local.get 1)) (i64.popcnt (local.get 1)))))
  (func (export "i64_div") (param i64 i64) (result i64)
    (i64.sub (i64.rem_s (local.get 0) (local.get 1)) (i64.div_u (local.get 0) (local.get 1))))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc_u64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func (export "trunc_sat") (param f64) (result i64) (i64.trunc_sat_f64_s (local.get 0)))
  (func (export "fmix") (param f32 f64) (result f64)
    (f64.add (f64.promote_f32 (f32.sqrt (local.get 0)))
      (f64.mul (f64.nearest (local.get 1)) (f64.min (local.get 1) (f64.const 3.5)))))
  (func (export "multi") (param i32 i64) (result i64 i32)
    (i64.extend_i32_s (local.get 0)) (i32.wrap_i64 (local.get 1)))
)

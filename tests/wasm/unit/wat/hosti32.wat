;; Imports bound to i32 host functions (rune_wasm_linker_define_i32): every arity up to five, no
;; result, a failing one, one that calls back into the guest, and one re-exported so the API calls
;; it directly.
(module
  (import "env" "sum5" (func $sum5 (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "add3" (func $add3 (param i32 i32 i32) (result i32)))
  (import "env" "put" (func $put (param i32 i32)))
  (import "env" "seven" (func $seven (result i32)))
  (import "env" "fail" (func $fail (param i32) (result i32)))
  (import "env" "again" (func $again (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 0) "from guest")
  (export "sum5" (func $sum5))
  (func (export "use_sum5") (param i32 i32 i32 i32 i32) (result i32)
    (call $sum5 (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  ;; -1 passes as 0xffffffff: the sum wraps like the guest's own i32.add
  (func (export "use_add3") (param i32) (result i32)
    (call $add3 (local.get 0) (i32.const -1) (i32.const 100)))
  (func (export "say") (param i32 i32) (call $put (local.get 0) (local.get 1)))
  (func (export "seven_plus") (param i32) (result i32) (i32.add (call $seven) (local.get 0)))
  (func (export "try_fail") (param i32) (result i32) (call $fail (local.get 0)))
  ;; down(n): n host round trips deep, each through env.again back into down
  (func (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $again (i32.sub (local.get 0) (i32.const 1))))))))

;; recurse_host.wat - a host function that calls back into the guest (re-entrancy).
(module
  (import "env" "again" (func $again (param i32) (result i32)))
  (func (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $again (i32.sub (local.get 0) (i32.const 1))))))))

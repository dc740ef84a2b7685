;; The runner must notice failures: every assertion here is wrong on purpose, and spectest must exit 1
;; (registered with WILL_FAIL).
(module (func (export "one") (result i32) (i32.const 1))
        (func (export "nan") (result f32) (f32.const 1)))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func)) "type mismatch")

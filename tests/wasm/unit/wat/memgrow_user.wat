;; memgrow_user.wat - imports memgrow_host's memory: its host calls must see the other instance's grows.
(module
  (import "env" "peek" (func $peek (param i32 i32) (result i32)))
  (import "lib" "mem" (memory 1))
  (func (export "peek") (param i32) (result i32) (call $peek (local.get 0) (i32.const 4)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))

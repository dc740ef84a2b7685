;; memgrow_host.wat - a host function reading guest memory after the guest grew it (test_wasm_memgrow):
;; env.peek(addr, len) returns the u32 at addr, or -1 when [addr, addr+len) is out of bounds.
(module
  (import "env" "peek" (func $peek (param i32 i32) (result i32)))
  (memory (export "mem") 1 4)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "store_peek") (param i32 i32) (result i32)
    (i32.store (local.get 0) (local.get 1))
    (call $peek (local.get 0) (i32.const 4)))
  (func (export "grow_peek") (param i32 i32) (result i32)
    (drop (memory.grow (local.get 0)))
    (call $peek (local.get 1) (i32.const 4)))
  (func (export "peek") (param i32) (result i32) (call $peek (local.get 0) (i32.const 4))))

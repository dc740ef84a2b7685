;; Differential module for trap offsets: several trapping instructions on paths an optimizing C
;; compiler could merge or reorder, so the AOT engine must still name the one the interpreter names
;; (test_wasm_diff requires the same message, offset included). Two loads in one expression, the
;; same load in both arms of an if, the same trap kind twice in one function, traps in dead code
;; after br / br_table / return / unreachable before a live one, traps in small helpers an
;; optimizer inlines, stores next to loads, bulk memory and table operations twice.
(module
  (type $bin (func (param i32 i32) (result i32)))
  (memory 1 1)
  (table 4 funcref)
  (elem (i32.const 0) $add $add)
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $ld (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func $dv (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  ;; both loads may fault: the first one in wasm order is named
  (func (export "two_loads") (param i32 i32) (result i32)
    (i32.add (i32.load (local.get 0)) (i32.load offset=8 (local.get 1))))
  (func (export "two_loads_same") (param i32 i32) (result i32)
    (i32.add (i32.load16_u (local.get 0)) (i32.load16_u (local.get 0))))
  ;; the same access in both arms of an if: which arm ran decides the offset
  (func (export "arms") (param i32 i32) (result i32)
    (if (result i32) (i32.and (local.get 1) (i32.const 1))
      (then (i32.load (local.get 0)))
      (else (i32.load (local.get 0)))))
  (func (export "arms_store") (param i32 i32)
    (if (i32.and (local.get 1) (i32.const 2))
      (then (i32.store (local.get 0) (local.get 1)))
      (else (i32.store (local.get 0) (local.get 1)))))
  ;; the same kind twice: the divisor that is zero decides
  (func (export "div_twice") (param i32 i32) (result i32)
    (i32.add (i32.div_u (i32.const 100) (i32.and (local.get 0) (i32.const 3)))
             (i32.div_u (i32.const 100) (i32.and (local.get 1) (i32.const 3)))))
  (func (export "rem_twice") (param i64 i64) (result i64)
    (i64.rem_s (i64.rem_s (i64.const 7) (local.get 0)) (local.get 1)))
  (func (export "trunc_twice") (param f64 f32) (result i32)
    (i32.add (i32.trunc_f64_u (local.get 0)) (i32.trunc_f32_s (local.get 1))))
  ;; dead code before a live trap of the same kind
  (func (export "after_br") (param i32) (result i32)
    (block (br 0) (drop (i32.load (i32.const 70000))) (unreachable))
    (block $b
      (br_table $b $b (local.get 0))
      (drop (i32.div_u (i32.const 1) (i32.const 0))))
    (if (i32.eqz (local.get 0)) (then (return (i32.const 5)) (unreachable)))
    (i32.load offset=2 (local.get 0)))
  (func (export "after_unreachable") (param i32) (result i32)
    (if (i32.gt_u (local.get 0) (i32.const 100))
      (then (unreachable) (drop (i32.load (i32.const 70000))) (unreachable)))
    (i32.div_s (i32.const 1) (i32.sub (local.get 0) (i32.const 7))))
  ;; helpers an optimizer inlines, called twice
  (func (export "inlined") (param i32 i32) (result i32)
    (i32.add (call $ld (local.get 0)) (call $dv (i32.const 9) (local.get 1))))
  (func (export "inlined_twice") (param i32 i32) (result i32)
    (i32.add (call $ld (local.get 1)) (call $ld (local.get 0))))
  ;; a store then a load of the same address, then a store elsewhere
  (func (export "store_load") (param i32 i32) (result i32)
    (i64.store8 (local.get 0) (i64.const 1))
    (i32.store (local.get 1) (i32.load8_s (local.get 0)))
    (i32.load (local.get 1)))
  ;; bulk memory and table operations, each twice
  (func (export "bulk") (param i32 i32) (result i32)
    (memory.fill (local.get 0) (i32.const 1) (i32.const 16))
    (memory.copy (local.get 1) (i32.const 0) (i32.const 16))
    (memory.fill (local.get 1) (i32.const 2) (i32.const 4))
    (i32.load (i32.const 0)))
  (func (export "tables") (param i32 i32) (result i32)
    (table.set 0 (i32.and (local.get 0) (i32.const 7)) (ref.null func))
    (drop (table.get 0 (i32.and (local.get 1) (i32.const 7))))
    (table.copy 0 0 (local.get 0) (i32.const 0) (i32.const 1))
    (call_indirect (type $bin) (i32.const 1) (i32.const 2) (i32.and (local.get 1) (i32.const 7))))
  (func (export "indirect_twice") (param i32 i32) (result i32)
    (i32.add
      (call_indirect (type $bin) (i32.const 1) (i32.const 2) (i32.and (local.get 0) (i32.const 7)))
      (call_indirect (type $bin) (i32.const 3) (i32.const 4) (i32.and (local.get 1) (i32.const 7))))))

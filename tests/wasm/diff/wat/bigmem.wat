;; Declares more memory than a small limit allows.
(module (memory 10 20) (func (export "size") (result i32) (memory.size)))

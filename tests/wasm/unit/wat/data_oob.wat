;; data_oob.wat - an active data segment past the end of memory: instantiation traps.
(module (memory 1) (data (i32.const 65530) "0123456789"))

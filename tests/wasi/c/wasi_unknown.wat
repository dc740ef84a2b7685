;; Imports a WASI function that does not exist: linking must fail and name it.
(module (import "wasi_snapshot_preview1" "fd_teleport" (func (param i32) (result i32))))

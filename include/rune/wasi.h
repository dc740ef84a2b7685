/*
 * wasi.h - the minimal WASI preview1 layer of librune: what wasi-libc needs for pure computation.
 *
 * Provided as host functions of module "wasi_snapshot_preview1" in a rune_wasm_linker:
 *   args_get, args_sizes_get         the arguments given in the config
 *   environ_get, environ_sizes_get   an empty environment
 *   clock_time_get, clock_res_get    realtime, monotonic, process and thread CPU clocks
 *   fd_write                         fd 1 and 2 into the caller's sink (buffered); other fds EBADF
 *   fd_close, fd_seek, fd_fdstat_get answers wasi-libc expects for stdout/stderr (character
 * devices, not seekable); fd_prestat_get EBADF (no preopened directories) random_get libsodium's
 * randombytes proc_exit                        ends the call with RUNE_E_EXIT, err->code = the exit
 * code sched_yield                      success every other preview1 function    ENOSYS (52), so
 * modules that merely import them still link All guest pointers go through rune_wasm_memory_ptr
 * (bounds-checked): a bad pointer is EFAULT.
 *
 * Ownership: rune_wasi_new copies the arguments. The rune_wasi must outlive every instance linked
 * against it. Output is buffered; rune_wasi_flush (also done by proc_exit and rune_wasi_free) hands
 * it to the sink.
 */
#ifndef RUNE_WASI_H
#define RUNE_WASI_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"
#include "rune/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives guest output: fd is 1 (stdout) or 2 (stderr). */
typedef void (*rune_wasi_sink)(void *user, int fd, const uint8_t *data, size_t len);

typedef struct rune_wasi_config {
    int argc;                /* argv[0] is the program name the guest sees */
    const char *const *argv; /* may be NULL when argc is 0 */
    rune_wasi_sink sink;     /* NULL: the process's stdout / stderr */
    void *sink_user;
} rune_wasi_config;

typedef struct rune_wasi rune_wasi;

rune_status rune_wasi_new(const rune_wasi_config *cfg, rune_wasi **out, rune_error *err);
void rune_wasi_free(rune_wasi *w); /* flushes; accepts NULL */

/* Define every wasi_snapshot_preview1 function in l. */
rune_status rune_wasi_define(rune_wasi *w, rune_wasm_linker *l, rune_error *err);

/* Hand buffered output to the sink. */
void rune_wasi_flush(rune_wasi *w);

/* Run a command module's _start: RUNE_OK with *exit_code 0 if it returned, RUNE_OK with the code if
 * it called proc_exit, any other status (trap, limit) with err filled. */
rune_status rune_wasi_run_start(rune_wasi *w, rune_wasm_instance *inst, int *exit_code,
                                rune_error *err);

#ifdef __cplusplus
}
#endif
#endif

/*
 * wasi_int.h - internals of src/wasi shared by its files. Prefix: rwasi_.
 */
#ifndef RUNE_WASI_INT_H
#define RUNE_WASI_INT_H

#include "rune/wasi.h"

/* WASI errno values used here. */
enum {
    RWASI_SUCCESS = 0,
    RWASI_EBADF = 8,
    RWASI_EFAULT = 21,
    RWASI_EINVAL = 28,
    RWASI_ENOSYS = 52,
    RWASI_ESPIPE = 70,
};

#define RWASI_OUTBUF 4096

struct rune_wasi {
    int argc;
    char **argv;       /* owned */
    size_t args_bytes; /* sum of strlen + 1 */
    rune_wasi_sink sink;
    void *sink_user;
    uint8_t out[2][RWASI_OUTBUF]; /* stdout, stderr */
    size_t nout[2];
};

/* Append to fd's buffer (1 or 2), flushing to the sink when full. */
void rwasi_write(rune_wasi *w, int fd, const uint8_t *data, size_t len);

/* Define the ENOSYS stubs for the preview1 functions we do not provide. */
rune_status rwasi_define_stubs(rune_wasm_linker *l, rune_error *err);

#endif

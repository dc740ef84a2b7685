/*
 * wasi_fd.c - the file-descriptor functions of the WASI subset: only stdout (1) and stderr (2)
 * exist, as non-seekable character devices; fd_write buffers into the caller's sink.
 * Workload: printf-heavy guests write many small iovecs; they are batched in a 4 KiB buffer per fd.
 */
#include <stdio.h>
#include <string.h>

#include "wasi_int.h"

rune_status rwasi_define_fd(rune_wasi *w, rune_wasm_linker *l, rune_error *err);

static void emit(rune_wasi *w, int fd, const uint8_t *data, size_t len)
{
    if (!len) return;
    if (w->sink) {
        w->sink(w->sink_user, fd, data, len);
    } else {
        FILE *f = fd == 1 ? stdout : stderr;
        fwrite(data, 1, len, f);
        fflush(f);
    }
}

void rwasi_write(rune_wasi *w, int fd, const uint8_t *data, size_t len)
{
    int k = fd == 1 ? 0 : 1;
    if (w->nout[k] + len > RWASI_OUTBUF) {
        emit(w, fd, w->out[k], w->nout[k]);
        w->nout[k] = 0;
        if (len > RWASI_OUTBUF) {
            emit(w, fd, data, len);
            return;
        }
    }
    memcpy(w->out[k] + w->nout[k], data, len);
    w->nout[k] += len;
}

void rune_wasi_flush(rune_wasi *w)
{
    if (!w) return;
    for (int k = 0; k < 2; k++) {
        emit(w, k + 1, w->out[k], w->nout[k]);
        w->nout[k] = 0;
    }
}

#define RET(v) (results[0].i32 = (uint32_t)(v), RUNE_OK)

static int is_out(uint32_t fd)
{
    return fd == 1 || fd == 2;
}

static rune_status fd_write(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                            rune_wasm_val *results, rune_error *err)
{
    rune_wasi *w = user;
    uint32_t fd = args[0].i32, iovs = args[1].i32, n = args[2].i32;
    if (!is_out(fd)) return RET(RWASI_EBADF);
    uint8_t *pn = rune_wasm_memory_ptr(inst, args[3].i32, 4);
    uint8_t *pv = rune_wasm_memory_ptr(inst, iovs, 8ull * n);
    if (!pn || !pv) return RET(RWASI_EFAULT);
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at, len;
        memcpy(&at, pv + 8 * i, 4);
        memcpy(&len, pv + 8 * i + 4, 4);
        const uint8_t *data = rune_wasm_memory_ptr(inst, at, len);
        if (!data) return RET(RWASI_EFAULT);
        rwasi_write(w, (int)fd, data, len);
        total += len;
    }
    memcpy(pn, &total, 4);
    return RET(RWASI_SUCCESS);
}

static rune_status fd_close(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                            rune_wasm_val *results, rune_error *err)
{
    if (!is_out(args[0].i32)) return RET(RWASI_EBADF);
    rune_wasi_flush(user);
    return RET(RWASI_SUCCESS);
}

static rune_status fd_seek(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                           rune_wasm_val *results, rune_error *err)
{
    return RET(is_out(args[0].i32) ? RWASI_ESPIPE : RWASI_EBADF);
}

static rune_status fd_fdstat_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                 rune_wasm_val *results, rune_error *err)
{
    if (!is_out(args[0].i32)) return RET(RWASI_EBADF);
    uint8_t *p = rune_wasm_memory_ptr(inst, args[1].i32, 24);
    if (!p) return RET(RWASI_EFAULT);
    memset(p, 0, 24);
    p[0] = 2;                    /* filetype: character device */
    uint64_t rights = 1ull << 6; /* fd_write; no seek/tell, so wasi-libc treats it as a tty */
    memcpy(p + 8, &rights, 8);
    return RET(RWASI_SUCCESS);
}

static rune_status ebadf(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                         rune_wasm_val *results, rune_error *err)
{
    return RET(RWASI_EBADF);
}

rune_status rwasi_define_fd(rune_wasi *w, rune_wasm_linker *l, rune_error *err)
{
    static const struct {
        const char *name, *sig;
        rune_wasm_host_fn fn;
    } fns[] = {
        {"fd_write", "iiii:i", fd_write},  {"fd_close", "i:i", fd_close},
        {"fd_seek", "iIii:i", fd_seek},    {"fd_fdstat_get", "ii:i", fd_fdstat_get},
        {"fd_prestat_get", "ii:i", ebadf}, {"fd_prestat_dir_name", "iii:i", ebadf},
        {"fd_read", "iiii:i", ebadf},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        rune_status st = rune_wasm_linker_define_func(l, "wasi_snapshot_preview1", fns[i].name,
                                                      fns[i].sig, fns[i].fn, w, err);
        if (st) return st;
    }
    return RUNE_OK;
}

/*
 * wasi.c - the rune_wasi object, its non-fd host functions (args, environ, clocks, random, exit,
 * sched_yield) and the _start runner. See include/rune/wasi.h for the subset and its contract.
 * Workload: a handful of calls per guest run (startup, exit); nothing here is on a hot path.
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "rune/alloc.h"
#include "wasi_int.h"

rune_status rwasi_define_fd(rune_wasi *w, rune_wasm_linker *l, rune_error *err);

rune_status rune_wasi_new(const rune_wasi_config *cfg, rune_wasi **out, rune_error *err)
{
    *out = NULL;
    if (!cfg || cfg->argc < 0 || (cfg->argc > 0 && !cfg->argv))
        return RUNE_ERR(err, RUNE_E_ARG, "wasi: bad config");
    rune_wasi *w = rune_calloc(1, sizeof *w);
    if (!w) return RUNE_ERR(err, RUNE_E_NOMEM, "wasi: out of memory");
    w->sink = cfg->sink;
    w->sink_user = cfg->sink_user;
    w->argv = rune_calloc((size_t)cfg->argc + 1, sizeof(char *));
    if (!w->argv) goto oom;
    for (int i = 0; i < cfg->argc; i++) {
        w->argv[i] = rune_strdup(cfg->argv[i] ? cfg->argv[i] : "");
        if (!w->argv[i]) goto oom;
        w->argc = i + 1;
        w->args_bytes += strlen(w->argv[i]) + 1;
    }
    *out = w;
    return RUNE_OK;
oom:
    rune_wasi_free(w);
    return RUNE_ERR(err, RUNE_E_NOMEM, "wasi: out of memory");
}

void rune_wasi_free(rune_wasi *w)
{
    if (!w) return;
    rune_wasi_flush(w);
    for (int i = 0; i < w->argc; i++)
        rune_free(w->argv[i]);
    rune_free(w->argv);
    rune_free(w);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

#define RET(v) (results[0].i32 = (uint32_t)(v), RUNE_OK)

static rune_status args_sizes_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                  rune_wasm_val *results, rune_error *err)
{
    rune_wasi *w = user;
    uint8_t *pc = rune_wasm_memory_ptr(inst, args[0].i32, 4);
    uint8_t *pb = rune_wasm_memory_ptr(inst, args[1].i32, 4);
    if (!pc || !pb) return RET(RWASI_EFAULT);
    put_u32(pc, (uint32_t)w->argc);
    put_u32(pb, (uint32_t)w->args_bytes);
    return RET(RWASI_SUCCESS);
}

static rune_status args_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                            rune_wasm_val *results, rune_error *err)
{
    rune_wasi *w = user;
    uint32_t argv_at = args[0].i32, buf_at = args[1].i32;
    uint8_t *pv = rune_wasm_memory_ptr(inst, argv_at, 4ull * (uint64_t)w->argc);
    uint8_t *pb = rune_wasm_memory_ptr(inst, buf_at, w->args_bytes);
    if (!pv || !pb) return RET(RWASI_EFAULT);
    uint32_t off = 0;
    for (int i = 0; i < w->argc; i++) {
        size_t n = strlen(w->argv[i]) + 1;
        memcpy(pb + off, w->argv[i], n);
        put_u32(pv + 4 * i, buf_at + off);
        off += (uint32_t)n;
    }
    return RET(RWASI_SUCCESS);
}

static rune_status environ_sizes_get(rune_wasm_instance *inst, void *user,
                                     const rune_wasm_val *args, rune_wasm_val *results,
                                     rune_error *err)
{
    uint8_t *pc = rune_wasm_memory_ptr(inst, args[0].i32, 4);
    uint8_t *pb = rune_wasm_memory_ptr(inst, args[1].i32, 4);
    if (!pc || !pb) return RET(RWASI_EFAULT);
    put_u32(pc, 0);
    put_u32(pb, 0);
    return RET(RWASI_SUCCESS);
}

static rune_status environ_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                               rune_wasm_val *results, rune_error *err)
{
    return RET(RWASI_SUCCESS);
}

static int clock_of(uint32_t id, clockid_t *out)
{
    switch (id) {
    case 0: *out = CLOCK_REALTIME; return 0;
    case 1: *out = CLOCK_MONOTONIC; return 0;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
    default: return -1;
    }
}

static rune_status clock_time_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                  rune_wasm_val *results, rune_error *err)
{
    clockid_t c;
    struct timespec ts;
    if (clock_of(args[0].i32, &c) != 0) return RET(RWASI_EINVAL);
    uint8_t *p = rune_wasm_memory_ptr(inst, args[2].i32, 8);
    if (!p) return RET(RWASI_EFAULT);
    if (clock_gettime(c, &ts) != 0) return RET(RWASI_EINVAL);
    put_u64(p, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
    return RET(RWASI_SUCCESS);
}

static rune_status clock_res_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                 rune_wasm_val *results, rune_error *err)
{
    clockid_t c;
    struct timespec ts;
    if (clock_of(args[0].i32, &c) != 0) return RET(RWASI_EINVAL);
    uint8_t *p = rune_wasm_memory_ptr(inst, args[1].i32, 8);
    if (!p) return RET(RWASI_EFAULT);
    if (clock_getres(c, &ts) != 0) return RET(RWASI_EINVAL);
    put_u64(p, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
    return RET(RWASI_SUCCESS);
}

static rune_status random_get(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                              rune_wasm_val *results, rune_error *err)
{
    uint8_t *p = rune_wasm_memory_ptr(inst, args[0].i32, args[1].i32);
    if (!p) return RET(RWASI_EFAULT);
    randombytes_buf(p, args[1].i32);
    return RET(RWASI_SUCCESS);
}

static rune_status proc_exit(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    rune_wasi_flush(user);
    rune_status st = RUNE_ERR(err, RUNE_E_EXIT, "wasi: proc_exit(%d)", (int)args[0].i32);
    if (err) err->code = (int)args[0].i32;
    return st;
}

static rune_status sched_yield_fn(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                  rune_wasm_val *results, rune_error *err)
{
    return RET(RWASI_SUCCESS);
}

rune_status rune_wasi_define(rune_wasi *w, rune_wasm_linker *l, rune_error *err)
{
    static const struct {
        const char *name, *sig;
        rune_wasm_host_fn fn;
    } fns[] = {
        {"args_get", "ii:i", args_get},
        {"args_sizes_get", "ii:i", args_sizes_get},
        {"environ_get", "ii:i", environ_get},
        {"environ_sizes_get", "ii:i", environ_sizes_get},
        {"clock_time_get", "iIi:i", clock_time_get},
        {"clock_res_get", "ii:i", clock_res_get},
        {"random_get", "ii:i", random_get},
        {"proc_exit", "i:", proc_exit},
        {"sched_yield", ":i", sched_yield_fn},
    };
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "wasi: libsodium failed to start");
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        rune_status st = rune_wasm_linker_define_func(l, "wasi_snapshot_preview1", fns[i].name,
                                                      fns[i].sig, fns[i].fn, w, err);
        if (st) return st;
    }
    rune_status st = rwasi_define_fd(w, l, err);
    if (st) return st;
    return rwasi_define_stubs(l, err);
}

rune_status rune_wasi_run_start(rune_wasi *w, rune_wasm_instance *inst, int *exit_code,
                                rune_error *err)
{
    *exit_code = 0;
    rune_error local;
    rune_error *e = err ? err : &local;
    rune_status st = rune_wasm_call(inst, "_start", NULL, 0, NULL, 0, e);
    rune_wasi_flush(w);
    if (st == RUNE_E_EXIT) {
        *exit_code = e->code;
        return RUNE_OK;
    }
    return st;
}

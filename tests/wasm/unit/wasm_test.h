/*
 * wasm_test.h - helpers shared by the wasm unit tests: load a module compiled from wat/ at build
 * time, instantiate it on the interpreter (or the engine wt_kind names), and call exports with
 * i32/i64 arguments.
 */
#ifndef RUNE_WASM_TEST_H
#define RUNE_WASM_TEST_H

#include "rune/alloc.h"
#include "rune/wasm.h"
#include "test.h"

/* Read WAT_DIR/<name>.wasm (malloc'd; caller frees). */
static inline uint8_t *wt_read(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.wasm", WAT_DIR, name);
    uint8_t *b = test_read_file(path, len);
    if (!b) fprintf(stderr, "cannot read %s\n", path);
    return b;
}

/* The engine wt_open instantiates on (tests that run on both set it between runs). */
static rune_wasm_engine_kind wt_kind = RUNE_WASM_INTERP;

typedef struct wt_env {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *lnk;
    rune_wasm_instance *inst;
    rune_error err;
} wt_env;

/* Load and instantiate name with an empty linker (or lnk if given) and limits lim (may be NULL). */
static inline int wt_open(wt_env *e, const char *name, rune_wasm_linker *lnk,
                          const rune_wasm_limits *lim)
{
    memset(e, 0, sizeof *e);
    size_t len = 0;
    uint8_t *bytes = wt_read(name, &len);
    if (!bytes) return 0;
    rune_status st = rune_wasm_engine_new(wt_kind, NULL, &e->eng, &e->err);
    if (st == RUNE_OK) st = rune_wasm_module_load(e->eng, bytes, len, &e->mod, &e->err);
    free(bytes);
    if (st == RUNE_OK && !lnk) st = rune_wasm_linker_new(&e->lnk, &e->err);
    if (st == RUNE_OK)
        st = rune_wasm_instantiate(e->mod, lnk ? lnk : e->lnk, lim, &e->inst, &e->err);
    if (st != RUNE_OK) fprintf(stderr, "wt_open %s: %s\n", name, e->err.msg);
    return st == RUNE_OK;
}

static inline void wt_close(wt_env *e)
{
    rune_wasm_instance_free(e->inst);
    rune_wasm_linker_free(e->lnk);
    rune_wasm_module_free(e->mod);
    rune_wasm_engine_free(e->eng);
    memset(e, 0, sizeof *e);
}

static inline rune_wasm_val wt_i32(uint32_t v)
{
    rune_wasm_val x;
    x.i64 = 0;
    x.i32 = v;
    return x;
}
static inline rune_wasm_val wt_i64(uint64_t v)
{
    rune_wasm_val x;
    x.i64 = v;
    return x;
}

#endif

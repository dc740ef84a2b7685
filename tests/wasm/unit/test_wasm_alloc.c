/*
 * test_wasm_alloc.c - allocator fault injection: the N-th allocation of engine creation, module
 * load (decode, validate, compile), linker setup and instantiation fails, for every N until the
 * whole sequence succeeds. Each failure must be RUNE_E_NOMEM with a message and leave nothing
 * allocated.
 */
#include "wasm_test.h"

static rune_status h_any(rune_wasm_instance *inst, void *user, const rune_wasm_val *a,
                         rune_wasm_val *r, rune_error *err)
{
    if (r) r[0].i64 = 0;
    return RUNE_OK;
}

/* The whole life cycle once; returns the first failing status. */
static rune_status cycle(const uint8_t *bytes, size_t len, int with_host, rune_error *err)
{
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst = NULL;
    rune_status st = rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, err);
    if (st == RUNE_OK) st = rune_wasm_module_load(eng, bytes, len, &mod, err);
    if (st == RUNE_OK) st = rune_wasm_linker_new(&l, err);
    if (st == RUNE_OK && with_host) {
        st = rune_wasm_linker_define_func(l, "env", "add3", "iii:i", h_any, NULL, err);
        if (st == RUNE_OK)
            st = rune_wasm_linker_define_func(l, "env", "put", "ii:", h_any, NULL, err);
        if (st == RUNE_OK)
            st = rune_wasm_linker_define_func(l, "env", "fail", "i:i", h_any, NULL, err);
        if (st == RUNE_OK)
            st = rune_wasm_linker_define_global(l, "env", "base", 'i', 0, wt_i32(1), err);
        if (st == RUNE_OK)
            st = rune_wasm_linker_define_global(l, "env", "total", 'I', 1, wt_i64(1), err);
        if (st == RUNE_OK) st = rune_wasm_linker_define_memory(l, "env", "mem", 1, 2, err);
    }
    rune_wasm_limits lim = {0};
    lim.max_memory_pages = 4;
    lim.stack_slots = 4096;
    if (st == RUNE_OK) st = rune_wasm_instantiate(mod, l, &lim, &inst, err);
    rune_wasm_instance_free(inst);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    return st;
}

static void sweep(const char *name, int with_host)
{
    size_t len;
    uint8_t *bytes = wt_read(name, &len);
    if (!bytes) {
        CHECK(0);
        return;
    }
    long live = rune_alloc_live();
    int done = 0, failures = 0;
    for (long n = 0; n < 10000 && !done; n++) {
        rune_error err;
        rune_error_clear(&err);
        rune_alloc_fail_after(n);
        rune_status st = cycle(bytes, len, with_host, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            done = 1;
        } else {
            failures++;
            CHECK_STATUS(st, RUNE_E_NOMEM);
            CHECK(err.msg[0] != 0);
        }
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    CHECK(done);
    CHECK(failures > 10); /* the sweep did reach deep into load and instantiate */
    free(bytes);
}

TEST(nomem_basic)
{
    sweep("basic", 0);
}
TEST(nomem_host)
{
    sweep("host", 1);
}

int main(void)
{
    RUN(nomem_basic);
    RUN(nomem_host);
    return test_report();
}

/*
 * test_wasm_limits.c - limits of an instance: fuel stops an infinite loop (and the instance stays
 * usable), unbounded recursion ends as "call stack exhausted" through the call-depth limit and
 * through the value-stack limit, memory.grow stops at the page limit, a module whose minimum memory
 * exceeds the limit is refused.
 */
#include "wasm_test.h"

TEST(fuel_stops_infinite_loop)
{
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.fuel = 100000;
    if (!wt_open(&e, "limits", NULL, &lim)) {
        CHECK(0);
        return;
    }
    rune_status st = rune_wasm_call(e.inst, "spin", NULL, 0, NULL, 0, &e.err);
    CHECK_STATUS(st, RUNE_E_LIMIT);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_FUEL);
    CHECK_CONTAINS(e.err.msg, "fuel exhausted");
    CHECK(rune_wasm_fuel_left(e.inst) < 100000);

    /* the same instance runs a bounded loop afterwards; fuel left shrinks with the work done */
    rune_wasm_val n = wt_i32(1000), r;
    CHECK_OK(rune_wasm_call(e.inst, "count", &n, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 1000);
    uint64_t left_small = rune_wasm_fuel_left(e.inst);
    n = wt_i32(5000);
    CHECK_OK(rune_wasm_call(e.inst, "count", &n, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 5000);
    CHECK(rune_wasm_fuel_left(e.inst) < left_small);
    /* too little fuel for 5000 iterations */
    rune_wasm_set_fuel(e.inst, 2000);
    CHECK_STATUS(rune_wasm_call(e.inst, "count", &n, 1, &r, 1, &e.err), RUNE_E_LIMIT);
    /* bulk memory work is charged by size: 100000 fuel covers about 97 fills of 64 KiB */
    rune_wasm_set_fuel(e.inst, 100000);
    CHECK_STATUS(rune_wasm_call(e.inst, "fill_forever", NULL, 0, NULL, 0, &e.err), RUNE_E_LIMIT);
    rune_wasm_val fills;
    CHECK_OK(rune_wasm_global_get(e.inst, "fills", &fills, NULL, &e.err), &e.err);
    CHECK(fills.i32 > 50 && fills.i32 < 100);
    /* unlimited again */
    rune_wasm_set_fuel(e.inst, 0);
    n = wt_i32(200000);
    CHECK_OK(rune_wasm_call(e.inst, "count", &n, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 200000);
    wt_close(&e);
}

TEST(recursion_hits_call_depth)
{
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.max_call_depth = 500;
    if (!wt_open(&e, "limits", NULL, &lim)) {
        CHECK(0);
        return;
    }
    rune_wasm_val a = wt_i32(1), r;
    CHECK_STATUS(rune_wasm_call(e.inst, "recurse", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_STACK_EXHAUSTED);
    CHECK_CONTAINS(e.err.msg, "call stack exhausted");
    /* a recursion within the limit works, one past it does not */
    a = wt_i32(400);
    CHECK_OK(rune_wasm_call(e.inst, "wide", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 400);
    a = wt_i32(600);
    CHECK_STATUS(rune_wasm_call(e.inst, "wide", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    wt_close(&e);
}

TEST(recursion_hits_value_stack)
{
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.stack_slots = 2000; /* "wide" uses ~36 slots per frame: about 55 frames */
    if (!wt_open(&e, "limits", NULL, &lim)) {
        CHECK(0);
        return;
    }
    rune_wasm_val a = wt_i32(30), r;
    CHECK_OK(rune_wasm_call(e.inst, "wide", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 30);
    a = wt_i32(100);
    CHECK_STATUS(rune_wasm_call(e.inst, "wide", &a, 1, &r, 1, &e.err), RUNE_E_TRAP);
    CHECK_EQ_INT(e.err.code, RUNE_WASM_TRAP_STACK_EXHAUSTED);
    /* and the instance is fine afterwards */
    a = wt_i32(10);
    CHECK_OK(rune_wasm_call(e.inst, "wide", &a, 1, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 10);
    wt_close(&e);
}

TEST(memory_limit)
{
    wt_env e;
    rune_wasm_limits lim = {0};
    lim.max_memory_pages = 5;
    if (!wt_open(&e, "limits", NULL, &lim)) {
        CHECK(0);
        return;
    }
    rune_wasm_val r;
    CHECK_OK(rune_wasm_call(e.inst, "grow_all", NULL, 0, &r, 1, &e.err), &e.err);
    CHECK_EQ_INT(r.i32, 4); /* 1 page declared, limit 5 */
    CHECK_EQ_INT(rune_wasm_memory_size(e.inst), 5 * 65536);
    CHECK(rune_wasm_memory_ptr(e.inst, 5 * 65536 - 8, 8) != NULL);
    wt_close(&e);

    /* a module that needs 2 pages under a limit of 1 is refused, and nothing leaks */
    long live = rune_alloc_live();
    static const uint8_t two_pages[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 0, 2};
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_instance *inst = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, &err), &err);
    CHECK_OK(rune_wasm_module_load(eng, two_pages, sizeof two_pages, &mod, &err), &err);
    lim.max_memory_pages = 1;
    CHECK_STATUS(rune_wasm_instantiate(mod, NULL, &lim, &inst, &err), RUNE_E_LIMIT);
    CHECK_CONTAINS(err.msg, "limit");
    CHECK(inst == NULL);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* Traps while instantiating: the instance is not created and nothing leaks. */
static void expect_instantiate_trap(const char *name, rune_wasm_trap kind, const char *words)
{
    long live = rune_alloc_live();
    size_t len;
    uint8_t *bytes = wt_read(name, &len);
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_instance *inst = NULL;
    rune_error err;
    CHECK_OK(rune_wasm_engine_new(RUNE_WASM_INTERP, NULL, &eng, &err), &err);
    CHECK_OK(rune_wasm_module_load(eng, bytes, len, &mod, &err), &err);
    free(bytes);
    CHECK_STATUS(rune_wasm_instantiate(mod, NULL, NULL, &inst, &err), RUNE_E_TRAP);
    CHECK_EQ_INT(err.code, kind);
    CHECK_CONTAINS(err.msg, rune_wasm_trap_text(kind));
    CHECK_CONTAINS(err.msg, words);
    CHECK(inst == NULL);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(instantiation_traps)
{
    expect_instantiate_trap("data_oob", RUNE_WASM_TRAP_MEMORY_OOB, "data segment 0");
    expect_instantiate_trap("start_trap", RUNE_WASM_TRAP_DIV_ZERO, "start function");
}

int main(void)
{
    RUN(fuel_stops_infinite_loop);
    RUN(recursion_hits_call_depth);
    RUN(recursion_hits_value_stack);
    RUN(memory_limit);
    RUN(instantiation_traps);
    return test_report();
}

/*
 * test_aot_boundary.c - the per-call path of both engines through the public API: functions
 * prepared once (rune_wasm_find_func) and called many times (rune_wasm_call_prepared), as a host
 * calls a rune's _call. On AOT that path has two branches: the outermost call on a thread (a light
 * boundary) and a call made while a boundary is active (a host function calling the guest again),
 * which saves and restores the instance's counters. Checked here on both engines: results, traps
 * and a call after them, fuel (metered, exhausted, unmetered), call depth continued by nested
 * calls, a prepared function used on another instance or filled by hand. Module: wat/limits.wat.
 */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "rune/wasm.h"

static char cache_dir[4096];

/* The functions a rig prepares once. */
typedef struct fns {
    rune_wasm_func dbl, rec, call_fail, call_reenter, spin, count, store, grow;
} fns;

typedef struct rig {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *l;
    rune_wasm_instance *inst;
    fns f;
} rig;

/* host.fail: 1 fails with a message, anything else returns x * 10. */
static rune_status h_fail(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                          rune_wasm_val *results, rune_error *err)
{
    (void)inst;
    (void)user;
    if (args[0].i32 == 1) return RUNE_ERR(err, RUNE_E_IO, "sensor unplugged");
    results[0].i32 = args[0].i32 * 10;
    return RUNE_OK;
}

/* host.reenter: back into the calling instance through its prepared functions (the instance's
 * user is its rig): 999 -> call_fail(1) (traps), x >= 1000 -> rec(x - 1000), else double(x). */
static rune_status h_reenter(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    (void)user;
    const rig *r = rune_wasm_instance_user(inst);
    uint32_t x = args[0].i32;
    rune_wasm_val a = {.i32 = 1};
    if (x == 999) return rune_wasm_call_prepared(inst, &r->f.call_fail, &a, results, err);
    a.i32 = x - 1000;
    if (x >= 1000) return rune_wasm_call_prepared(inst, &r->f.rec, &a, results, err);
    return rune_wasm_call_prepared(inst, &r->f.dbl, args, results, err);
}

static rune_status h_other(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                           rune_wasm_val *results, rune_error *err)
{
    (void)inst;
    (void)user;
    (void)err;
    results[0].i32 = args[0].i32;
    return RUNE_OK;
}

static rune_status prepare(rig *r, rune_error *err)
{
    struct {
        const char *name;
        rune_wasm_func *fn;
    } want[] = {{"double", &r->f.dbl},          {"rec", &r->f.rec},
                {"call_fail", &r->f.call_fail}, {"call_reenter", &r->f.call_reenter},
                {"spin", &r->f.spin},           {"count", &r->f.count},
                {"store", &r->f.store},         {"grow", &r->f.grow}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        rune_status st = rune_wasm_find_func(r->inst, want[i].name, want[i].fn, err);
        if (st) return st;
    }
    return RUNE_OK;
}

static rune_status rig_up(rig *r, rune_wasm_engine_kind kind, const rune_wasm_limits *lim,
                          rune_error *err)
{
    memset(r, 0, sizeof *r);
    size_t len = 0;
    unsigned char *b = test_read_file(WAT_DIR "/limits.wasm", &len);
    if (!b) return RUNE_ERR(err, RUNE_E_IO, "cannot read %s", WAT_DIR "/limits.wasm");
    rune_wasm_engine_config cfg = {cache_dir, NULL, NULL};
    rune_status st = rune_wasm_engine_new(kind, &cfg, &r->eng, err);
    if (!st) st = rune_wasm_module_load(r->eng, b, len, &r->mod, err);
    free(b);
    if (!st) st = rune_wasm_linker_new(&r->l, err);
    if (!st) st = rune_wasm_linker_define_func(r->l, "host", "fail", "i:i", h_fail, NULL, err);
    if (!st)
        st = rune_wasm_linker_define_func(r->l, "host", "reenter", "i:i", h_reenter, NULL, err);
    if (!st) st = rune_wasm_linker_define_func(r->l, "host", "other", "i:i", h_other, NULL, err);
    if (!st) st = rune_wasm_instantiate(r->mod, r->l, lim, &r->inst, err);
    if (!st) {
        rune_wasm_instance_set_user(r->inst, r);
        st = prepare(r, err);
    }
    return st;
}

static void rig_down(rig *r)
{
    rune_wasm_instance_free(r->inst);
    rune_wasm_linker_free(r->l);
    rune_wasm_module_free(r->mod);
    rune_wasm_engine_free(r->eng);
    memset(r, 0, sizeof *r);
}

/* One i32 -> i32 prepared call. */
static rune_status call1(rune_wasm_instance *inst, const rune_wasm_func *fn, uint32_t x,
                         uint32_t *out, rune_error *err)
{
    rune_wasm_val a = {.i32 = x}, res = {.i32 = 0xdeadbeef};
    rune_status st = rune_wasm_call_prepared(inst, fn, &a, &res, err);
    *out = res.i32;
    return st;
}

TEST(prepared_calls_outermost_and_nested)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, NULL, &err), &err);
        if (!r.inst) {
            rig_down(&r);
            continue;
        }
        if (k == RUNE_WASM_AOT) /* AOT hands out a handle on each defined function */
            CHECK(r.f.dbl.found_on != 0 && r.f.dbl.handle != NULL);
        uint32_t v = 0;
        for (uint32_t i = 0; i < 100; i++) {
            CHECK_OK(call1(r.inst, &r.f.dbl, i, &v, &err), &err);
            CHECK_EQ_INT(v, 2 * i);
            /* host.reenter calls double again, from inside the outer call */
            CHECK_OK(call1(r.inst, &r.f.call_reenter, i, &v, &err), &err);
            CHECK_EQ_INT(v, 2 * i + 1000);
        }
        CHECK_OK(call1(r.inst, &r.f.call_fail, 4, &v, &err), &err);
        CHECK_EQ_INT(v, 41);
        rig_down(&r);
    }
}

/* A trap on either branch is reported with its kind and place, and the instance (and the thread's
 * boundary) is ready for the next call on either branch. */
TEST(traps_on_both_branches_then_calls_again)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, NULL, &err), &err);
        if (!r.inst) {
            rig_down(&r);
            continue;
        }
        uint32_t v = 0;
        for (int round = 0; round < 3; round++) {
            rune_wasm_val sv[2] = {{.i32 = 70000}, {.i32 = 1}};
            CHECK_STATUS(rune_wasm_call_prepared(r.inst, &r.f.store, sv, NULL, &err), RUNE_E_TRAP);
            CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_MEMORY_OOB);
            CHECK_CONTAINS(err.msg, "trap: out of bounds memory access (func ");
            CHECK_OK(call1(r.inst, &r.f.dbl, 21, &v, &err), &err);
            CHECK_EQ_INT(v, 42);
            /* nested: the host function's call traps, and so does the outer call */
            CHECK_STATUS(call1(r.inst, &r.f.call_reenter, 999, &v, &err), RUNE_E_TRAP);
            CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_HOST);
            CHECK_CONTAINS(err.msg, "sensor unplugged");
            CHECK_OK(call1(r.inst, &r.f.call_reenter, 5, &v, &err), &err);
            CHECK_EQ_INT(v, 1010);
            CHECK_STATUS(call1(r.inst, &r.f.call_fail, 1, &v, &err), RUNE_E_TRAP);
            CHECK_CONTAINS(err.msg, "sensor unplugged");
        }
        rig_down(&r);
    }
}

TEST(fuel_on_the_prepared_path)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, NULL, &err), &err);
        if (!r.inst) {
            rig_down(&r);
            continue;
        }
        uint32_t v = 0;
        rune_wasm_set_fuel(r.inst, 100000);
        CHECK_STATUS(rune_wasm_call_prepared(r.inst, &r.f.spin, NULL, NULL, &err), RUNE_E_LIMIT);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_FUEL);
        CHECK_EQ_INT(rune_wasm_fuel_left(r.inst), 0);
        /* the budget is per call: the next one starts full again */
        CHECK_OK(call1(r.inst, &r.f.count, 1000, &v, &err), &err);
        CHECK_EQ_INT(v, 1000);
        uint64_t left = rune_wasm_fuel_left(r.inst);
        CHECK(left > 0 && left < 100000);
        CHECK_OK(call1(r.inst, &r.f.count, 2000, &v, &err), &err);
        CHECK(rune_wasm_fuel_left(r.inst) < left);
        rune_wasm_set_fuel(r.inst, 0); /* unmetered: nothing left to report */
        CHECK_OK(call1(r.inst, &r.f.count, 300000, &v, &err), &err);
        CHECK_EQ_INT(v, 300000);
        CHECK_EQ_INT(rune_wasm_fuel_left(r.inst), 0);
        rig_down(&r);
    }
}

/* The deepest rec(n) that fits, called directly (nested = 0) or from inside call_reenter. */
static int deepest(rig *r, int nested, rune_error *last)
{
    int ok = -1;
    for (uint32_t n = 0; n < 200; n++) {
        uint32_t v = 0;
        rune_status st = nested ? call1(r->inst, &r->f.call_reenter, 1000 + n, &v, last)
                                : call1(r->inst, &r->f.rec, n, &v, last);
        if (st != RUNE_OK) break;
        if (v != n + (nested ? 1000u : 0u)) return -2;
        ok = (int)n;
    }
    return ok;
}

/* A nested call continues the outer call's depth: the host function's call into the guest has
 * fewer frames left than a call from outside. */
TEST(nested_calls_continue_the_call_depth)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        rune_wasm_limits lim = {0, 0, 64, 0};
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, &lim, &err), &err);
        if (!r.inst) {
            rig_down(&r);
            continue;
        }
        int direct = deepest(&r, 0, &err);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_STACK_EXHAUSTED);
        int nested = deepest(&r, 1, &err);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_STACK_EXHAUSTED);
        CHECK_MSG_(direct >= 40 && direct < 64, "%s: direct depth %d",
                   rune_wasm_engine_kind_name((rune_wasm_engine_kind)k), direct);
        CHECK_MSG_(nested >= direct - 4 && nested < direct, "%s: nested %d vs direct %d",
                   rune_wasm_engine_kind_name((rune_wasm_engine_kind)k), nested, direct);
        /* and after the exhaustion the outermost call has its whole depth again */
        CHECK_EQ_INT(deepest(&r, 0, &err), direct);
        rig_down(&r);
    }
}

/* A prepared function used on another instance of the module acts on that instance, as does one
 * filled by hand (both go by index). */
TEST(prepared_function_on_another_instance)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        rune_wasm_instance *other = NULL;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, NULL, &err), &err);
        if (r.inst) CHECK_OK(rune_wasm_instantiate(r.mod, r.l, NULL, &other, &err), &err);
        if (!other) {
            rig_down(&r);
            continue;
        }
        rune_wasm_instance_set_user(other, &r); /* for host.reenter; r.f goes by index there */
        uint32_t v = 0;
        CHECK_OK(call1(r.inst, &r.f.grow, 2, &v, &err), &err);
        CHECK_EQ_INT(v, 1);
        CHECK_OK(call1(r.inst, &r.f.grow, 0, &v, &err), &err);
        CHECK_EQ_INT(v, 3);
        CHECK_OK(call1(other, &r.f.grow, 0, &v, &err), &err);
        CHECK_EQ_INT(v, 1);
        CHECK_OK(call1(other, &r.f.call_reenter, 8, &v, &err), &err);
        CHECK_EQ_INT(v, 1016);
        rune_wasm_func by_hand = {.index = r.f.grow.index, .sig = "i:i"};
        CHECK_OK(call1(r.inst, &by_hand, 0, &v, &err), &err);
        CHECK_EQ_INT(v, 3);
        CHECK_OK(call1(other, &by_hand, 1, &v, &err), &err);
        CHECK_EQ_INT(v, 1);
        /* a function found on an instance since freed: an instance made afterwards (perhaps at
         * the same address) is another instance, and the old handle is not used on it */
        rune_wasm_func on_other;
        CHECK_OK(rune_wasm_find_func(other, "grow", &on_other, &err), &err);
        rune_wasm_instance_free(other);
        other = NULL;
        CHECK_OK(rune_wasm_instantiate(r.mod, r.l, NULL, &other, &err), &err);
        rune_wasm_instance_set_user(other, &r);
        rune_wasm_func again;
        CHECK_OK(rune_wasm_find_func(other, "grow", &again, &err), &err);
        CHECK(again.found_on != on_other.found_on || again.found_on == 0);
        CHECK_OK(call1(other, &on_other, 0, &v, &err), &err);
        CHECK_EQ_INT(v, 1);
        rune_wasm_func bad = {.index = 1000000, .sig = "i:i"};
        CHECK_STATUS(call1(other, &bad, 0, &v, &err), RUNE_E_ARG);
        CHECK_CONTAINS(err.msg, "bad function index");
        rune_wasm_instance_free(other);
        rig_down(&r);
    }
}

int main(void)
{
    if (!test_scratch_dir(cache_dir, sizeof cache_dir, "aot-boundary")) return 1;
    RUN(prepared_calls_outermost_and_nested);
    RUN(traps_on_both_branches_then_calls_again);
    RUN(fuel_on_the_prepared_path);
    RUN(nested_calls_continue_the_call_depth);
    RUN(prepared_function_on_another_instance);
    test_rm_flat_dir(cache_dir);
    return test_report();
}

/*
 * test_aot_engine.c - what is particular to the AOT engine: the compile cache (a second load of the
 * same module does not recompile; another compiler configuration does), limits shared with the
 * interpreter (fuel stops endless loops on both engines, call depth, memory pages), host-function
 * errors and re-entry, compile failures reported cleanly, nothing leaked, threads serialized.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "rune/alloc.h"
#include "rune/wasm.h"
#include "../../../src/wasm/aot/aot_int.h"

static char cache_dir[4096];

static unsigned char *load_wat(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wasm", WAT_DIR, name);
    unsigned char *b = test_read_file(path, len);
    if (!b) fprintf(stderr, "cannot read %s\n", path);
    return b;
}

static int count_objects(void)
{
    DIR *d = opendir(cache_dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 3 && strcmp(e->d_name + l - 3, ".so") == 0) n++;
    }
    if (d) closedir(d);
    return n;
}

/* Host functions of limits.wat. */
static rune_status host_fail(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    if (args[0].i32 == 1) return RUNE_ERR(err, RUNE_E_IO, "sensor unplugged");
    if (args[0].i32 == 2) {
        rune_status st = RUNE_ERR(err, RUNE_E_EXIT, "exit");
        err->code = 42;
        return st;
    }
    results[0].i32 = args[0].i32 * 10;
    return RUNE_OK;
}

static rune_status host_reenter(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                                rune_wasm_val *results, rune_error *err)
{
    /* Calls back into the instance that called us; 999 makes the nested call trap. */
    if (args[0].i32 == 999) {
        rune_wasm_val one = {.i32 = 1};
        return rune_wasm_call(inst, "call_fail", &one, 1, results, 1, err);
    }
    return rune_wasm_call(inst, "double", args, 1, results, 1, err);
}

/* Calls "count" on another instance (user; NULL: the caller itself). */
static rune_status host_other(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                              rune_wasm_val *results, rune_error *err)
{
    return rune_wasm_call(user ? user : inst, "count", args, 1, results, 1, err);
}

typedef struct rig {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *l;
    rune_wasm_instance *inst;
} rig;

static rune_status rig_up_other(rig *r, rune_wasm_engine_kind kind, const char *wat,
                                const rune_wasm_limits *lim, rune_wasm_instance *other,
                                rune_error *err)
{
    memset(r, 0, sizeof *r);
    size_t len = 0;
    unsigned char *b = load_wat(wat, &len);
    if (!b) return RUNE_ERR(err, RUNE_E_IO, "no %s", wat);
    rune_wasm_engine_config cfg = {cache_dir, NULL, NULL};
    rune_status st = rune_wasm_engine_new(kind, &cfg, &r->eng, err);
    if (!st) st = rune_wasm_module_load(r->eng, b, len, &r->mod, err);
    free(b);
    if (!st) st = rune_wasm_linker_new(&r->l, err);
    if (!st) st = rune_wasm_linker_define_func(r->l, "host", "fail", "i:i", host_fail, NULL, err);
    if (!st)
        st = rune_wasm_linker_define_func(r->l, "host", "reenter", "i:i", host_reenter, NULL, err);
    if (!st)
        st = rune_wasm_linker_define_func(r->l, "host", "other", "i:i", host_other, other, err);
    if (!st) st = rune_wasm_instantiate(r->mod, r->l, lim, &r->inst, err);
    return st;
}

static rune_status rig_up(rig *r, rune_wasm_engine_kind kind, const char *wat,
                          const rune_wasm_limits *lim, rune_error *err)
{
    return rig_up_other(r, kind, wat, lim, NULL, err);
}

static void rig_down(rig *r)
{
    rune_wasm_instance_free(r->inst);
    rune_wasm_linker_free(r->l);
    rune_wasm_module_free(r->mod);
    rune_wasm_engine_free(r->eng);
    memset(r, 0, sizeof *r);
}

TEST(cache_second_load_does_not_recompile)
{
    rune_error err;
    long live0 = rune_alloc_live();
    unsigned long before = rw_aot_compile_count();
    int objs0 = count_objects();
    rig r;
    CHECK_OK(rig_up(&r, RUNE_WASM_AOT, "limits", NULL, &err), &err);
    rig_down(&r);
    unsigned long after_first = rw_aot_compile_count();
    CHECK_EQ_INT(after_first, before + 1); /* a fresh cache dir: compiled now */
    CHECK_EQ_INT(count_objects(), objs0 + 1);
    CHECK(count_objects() >= 1);
    int objs1 = count_objects();
    /* The second load, in a fresh engine, must find the object. */
    CHECK_OK(rig_up(&r, RUNE_WASM_AOT, "limits", NULL, &err), &err);
    rune_wasm_val a = {.i32 = 21}, res = {0};
    CHECK_OK(rune_wasm_call(r.inst, "double", &a, 1, &res, 1, &err), &err);
    CHECK_EQ_INT(res.i32, 42);
    rig_down(&r);
    CHECK_EQ_INT(rw_aot_compile_count(), after_first);
    CHECK_EQ_INT(count_objects(), objs1);
    /* Another compiler configuration is another object. */
    size_t len = 0;
    unsigned char *b = load_wat("limits", &len);
    rune_wasm_engine_config cfg = {cache_dir, NULL, "-O1"};
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    CHECK_OK(rune_wasm_engine_new(RUNE_WASM_AOT, &cfg, &eng, &err), &err);
    CHECK_OK(rune_wasm_module_load(eng, b, len, &mod, &err), &err);
    CHECK_EQ_INT(rw_aot_compile_count(), after_first + 1);
    CHECK_EQ_INT(count_objects(), objs1 + 1);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    free(b);
    CHECK_EQ_INT(rune_alloc_live(), live0);
}

/* A cached object that is damaged (truncated write, disk trouble) is compiled again. */
TEST(damaged_cache_entry_is_rebuilt)
{
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    char p[8192];
    int n = 0;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".so") != 0) continue;
        snprintf(p, sizeof p, "%s/%s", cache_dir, e->d_name);
        FILE *f = fopen(p, "wb");
        if (f) {
            fputs("not an ELF object", f);
            fclose(f);
            n++;
        }
    }
    if (d) closedir(d);
    CHECK(n >= 1);
    unsigned long before = rw_aot_compile_count();
    rune_error err;
    rig r;
    CHECK_OK(rig_up(&r, RUNE_WASM_AOT, "limits", NULL, &err), &err);
    rune_wasm_val a = {.i32 = 4}, res = {0};
    CHECK_OK(rune_wasm_call(r.inst, "double", &a, 1, &res, 1, &err), &err);
    CHECK_EQ_INT(res.i32, 8);
    rig_down(&r);
    CHECK_EQ_INT(rw_aot_compile_count(), before + 1);
}

/* An endless loop stops on both engines when fuel runs out; the instance stays usable. */
TEST(fuel_stops_endless_loops_on_both_engines)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        rune_wasm_limits lim = {0, 0, 0, 100000};
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, "limits", &lim, &err), &err);
        if (!r.inst) {
            rig_down(&r);
            continue;
        }
        rune_wasm_set_fuel(r.inst, 100000);
        CHECK_STATUS(rune_wasm_call(r.inst, "spin", NULL, 0, NULL, 0, &err), RUNE_E_LIMIT);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_FUEL);
        CHECK_CONTAINS(err.msg, "fuel");
        CHECK_EQ_INT(rune_wasm_fuel_left(r.inst), 0);
        CHECK_STATUS(rune_wasm_call(r.inst, "spin_call", NULL, 0, NULL, 0, &err), RUNE_E_LIMIT);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_FUEL);
        /* Enough fuel: a bounded loop finishes and leaves some fuel. */
        rune_wasm_val a = {.i32 = 1000}, res = {0};
        CHECK_OK(rune_wasm_call(r.inst, "count", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 1000);
        CHECK(rune_wasm_fuel_left(r.inst) > 0 && rune_wasm_fuel_left(r.inst) < 100000);
        /* Too little fuel for the same loop. */
        rune_wasm_set_fuel(r.inst, 50);
        CHECK_STATUS(rune_wasm_call(r.inst, "count", &a, 1, &res, 1, &err), RUNE_E_LIMIT);
        /* Unlimited again. */
        rune_wasm_set_fuel(r.inst, 0);
        a.i32 = 100000;
        CHECK_OK(rune_wasm_call(r.inst, "count", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 100000);
        rig_down(&r);
    }
}

/* A metered call stays metered after a nested call into an unmetered instance of the same module
 * (on AOT the two share one object, whose "fuel unlimited" flag the nested call sets and restores),
 * and the unmetered instance stays unmetered. */
TEST(fuel_survives_nested_unmetered_call)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig free_run, metered;
        CHECK_OK(rig_up(&free_run, (rune_wasm_engine_kind)k, "limits", NULL, &err), &err);
        rune_wasm_limits lim = {0, 0, 0, 200000};
        CHECK_OK(
            rig_up_other(&metered, (rune_wasm_engine_kind)k, "limits", &lim, free_run.inst, &err),
            &err);
        if (!free_run.inst || !metered.inst) {
            rig_down(&metered);
            rig_down(&free_run);
            continue;
        }
        rune_wasm_set_fuel(metered.inst, 200000);
        rune_wasm_val a = {.i32 = 300000}, res = {0};
        CHECK_STATUS(rune_wasm_call(metered.inst, "other_then_spin", &a, 1, NULL, 0, &err),
                     RUNE_E_LIMIT);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_FUEL);
        /* The nested instance ran its 300000 iterations without a budget; still does. */
        a.i32 = 3000000;
        CHECK_OK(rune_wasm_call(free_run.inst, "count", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 3000000);
        rig_down(&metered);
        rig_down(&free_run);
    }
}

/* Fuel means about the same on both engines: the AOT engine weighs each loop back-edge by the size
 * of the loop body, so a budget sized on one engine fits the other. */
TEST(fuel_units_close_to_interpreter)
{
    size_t len = 0;
    unsigned char *b = test_read_file(C_DIR "/kernels.wasm", &len);
    CHECK(b != NULL);
    if (!b) return;
    static const char *const kernels[] = {"k_fft", "k_matmul", "k_crc32", "k_sort", "k_conv"};
    uint64_t used[2][5];
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rune_wasm_engine_config cfg = {cache_dir, NULL, NULL};
        rune_wasm_engine *eng = NULL;
        rune_wasm_module *mod = NULL;
        rune_wasm_linker *l = NULL;
        rune_wasm_instance *inst = NULL;
        CHECK_OK(rune_wasm_engine_new((rune_wasm_engine_kind)k, &cfg, &eng, &err), &err);
        CHECK_OK(rune_wasm_module_load(eng, b, len, &mod, &err), &err);
        CHECK_OK(rune_wasm_linker_new(&l, &err), &err);
        CHECK_OK(rune_wasm_instantiate(mod, l, NULL, &inst, &err), &err);
        for (int i = 0; i < 5 && inst; i++) {
            const uint64_t budget = 1000000000000ull;
            rune_wasm_val a = {.i32 = 2}, res = {0};
            rune_wasm_set_fuel(inst, budget);
            CHECK_OK(rune_wasm_call(inst, kernels[i], &a, 1, &res, 1, &err), &err);
            used[k][i] = budget - rune_wasm_fuel_left(inst);
        }
        rune_wasm_instance_free(inst);
        rune_wasm_linker_free(l);
        rune_wasm_module_free(mod);
        rune_wasm_engine_free(eng);
    }
    for (int i = 0; i < 5; i++) {
        double ratio = (double)used[1][i] / (double)(used[0][i] ? used[0][i] : 1);
        CHECK_MSG_(ratio > 0.5 && ratio < 2.0, "%s: interp used %llu, aot %llu", kernels[i],
                   (unsigned long long)used[0][i], (unsigned long long)used[1][i]);
    }
    free(b);
}

TEST(call_depth_limit_on_both_engines)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        rune_wasm_limits lim = {0, 0, 64, 0};
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, "limits", &lim, &err), &err);
        rune_wasm_val a = {.i32 = 40}, res = {0};
        CHECK_OK(rune_wasm_call(r.inst, "rec", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 40);
        a.i32 = 200;
        CHECK_STATUS(rune_wasm_call(r.inst, "rec", &a, 1, &res, 1, &err), RUNE_E_TRAP);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_STACK_EXHAUSTED);
        a.i32 = 3;
        CHECK_OK(rune_wasm_call(r.inst, "rec", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 3);
        rig_down(&r);
    }
}

TEST(memory_limit_on_both_engines)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        rune_wasm_limits lim = {5, 0, 0, 0};
        CHECK_STATUS(rig_up(&r, (rune_wasm_engine_kind)k, "bigmem", &lim, &err), RUNE_E_LIMIT);
        CHECK(r.inst == NULL);
        rig_down(&r);
        lim.max_memory_pages = 3;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, "limits", &lim, &err), &err);
        rune_wasm_val a = {.i32 = 2}, res = {0};
        CHECK_OK(rune_wasm_call(r.inst, "grow", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 1);
        a.i32 = 1;
        CHECK_OK(rune_wasm_call(r.inst, "grow", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, (uint32_t)-1);
        CHECK_EQ_INT(rune_wasm_memory_size(r.inst), 3 * 65536);
        /* Writes land where the host sees them, and out-of-bounds stores trap. */
        rune_wasm_val sv[2] = {{.i32 = 3 * 65536 - 4}, {.i32 = 0xcafe}};
        CHECK_OK(rune_wasm_call(r.inst, "store", sv, 2, NULL, 0, &err), &err);
        uint8_t *p = rune_wasm_memory_ptr(r.inst, 3 * 65536 - 4, 4);
        CHECK(p && p[0] == 0xfe && p[1] == 0xca);
        CHECK(rune_wasm_memory_ptr(r.inst, 3 * 65536 - 3, 4) == NULL);
        sv[0].i32 = 3 * 65536 - 3;
        CHECK_STATUS(rune_wasm_call(r.inst, "store", sv, 2, NULL, 0, &err), RUNE_E_TRAP);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_MEMORY_OOB);
        rig_down(&r);
    }
}

TEST(host_errors_and_reentry_on_both_engines)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, "limits", NULL, &err), &err);
        rune_wasm_val a = {.i32 = 5}, res = {0};
        CHECK_OK(rune_wasm_call(r.inst, "call_fail", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 51);
        a.i32 = 1;
        CHECK_STATUS(rune_wasm_call(r.inst, "call_fail", &a, 1, &res, 1, &err), RUNE_E_TRAP);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_HOST);
        CHECK_CONTAINS(err.msg, "sensor unplugged");
        a.i32 = 2;
        CHECK_STATUS(rune_wasm_call(r.inst, "call_fail", &a, 1, &res, 1, &err), RUNE_E_EXIT);
        CHECK_EQ_INT(err.code, 42);
        a.i32 = 7;
        CHECK_OK(rune_wasm_call(r.inst, "call_reenter", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 1014);
        /* A trap in the nested call ends the outer call too, as a trap. */
        a.i32 = 999;
        CHECK_STATUS(rune_wasm_call(r.inst, "call_reenter", &a, 1, &res, 1, &err), RUNE_E_TRAP);
        CHECK_CONTAINS(err.msg, "sensor unplugged");
        /* And the instance still works afterwards. */
        a.i32 = 8;
        CHECK_OK(rune_wasm_call(r.inst, "call_reenter", &a, 1, &res, 1, &err), &err);
        CHECK_EQ_INT(res.i32, 1016);
        rig_down(&r);
    }
}

/* Traps name the wasm function they happen in, on both engines. */
TEST(trap_names_the_function)
{
    for (int k = 0; k < 2; k++) {
        rune_error err;
        rig r;
        CHECK_OK(rig_up(&r, (rune_wasm_engine_kind)k, "control", NULL, &err), &err);
        rune_wasm_val a = {.i32 = 3}, res = {0};
        CHECK_STATUS(rune_wasm_call(r.inst, "switch", &a, 1, &res, 1, &err), RUNE_E_TRAP);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_UNREACHABLE);
        CHECK_CONTAINS(err.msg, "trap: unreachable (func 5"); /* $add $sub $mul $neg dispatch */
        rune_wasm_val b[2] = {{.i32 = 3}, {.i32 = 1}};
        CHECK_STATUS(rune_wasm_call(r.inst, "dispatch", b, 2, &res, 1, &err), RUNE_E_TRAP);
        CHECK_EQ_INT(err.code, RUNE_WASM_TRAP_INDIRECT_MISMATCH);
        CHECK_CONTAINS(err.msg, "(func 4");
        rig_down(&r);
    }
}

TEST(compile_failure_is_a_clean_error)
{
    long live0 = rune_alloc_live();
    size_t len = 0;
    unsigned char *b = load_wat("control", &len);
    rune_error err;
    rune_wasm_engine_config cfg = {cache_dir, "/nonexistent/cc", "-O1 -DNEVER_CACHED"};
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    CHECK_OK(rune_wasm_engine_new(RUNE_WASM_AOT, &cfg, &eng, &err), &err);
    CHECK_STATUS(rune_wasm_module_load(eng, b, len, &mod, &err), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "/nonexistent/cc");
    CHECK(mod == NULL);
    rune_wasm_engine_free(eng);
    /* An unusable cache directory. */
    rune_wasm_engine_config bad = {"/proc/no/such/dir", NULL, NULL};
    CHECK_STATUS(rune_wasm_engine_new(RUNE_WASM_AOT, &bad, &eng, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "/proc/no");
    /* A cache directory others can write to is refused: its objects would run in this process. */
    char shared[4200];
    snprintf(shared, sizeof shared, "%s/shared", cache_dir);
    mkdir(shared, 0777);
    chmod(shared, 0777);
    rune_wasm_engine_config open_dir = {shared, NULL, NULL};
    CHECK_STATUS(rune_wasm_engine_new(RUNE_WASM_AOT, &open_dir, &eng, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "writable by no one else");
    rmdir(shared);
    free(b);
    CHECK_EQ_INT(rune_alloc_live(), live0);
}

/* Every allocation failure during load (cached object), instantiate and call is RUNE_E_NOMEM and
 * leaks nothing. */
TEST(allocation_failures_leak_nothing)
{
    size_t len = 0;
    unsigned char *b = load_wat("control", &len);
    rune_error err;
    rig warm;
    CHECK_OK(rig_up(&warm, RUNE_WASM_AOT, "control", NULL, &err), &err); /* fills the cache */
    rig_down(&warm);
    int done = 0;
    for (long n = 0; n < 400 && !done; n++) {
        long live0 = rune_alloc_live();
        rune_wasm_engine_config cfg = {cache_dir, NULL, NULL};
        rune_wasm_engine *eng = NULL;
        rune_wasm_module *mod = NULL;
        rune_wasm_linker *l = NULL;
        rune_wasm_instance *inst = NULL;
        rune_wasm_val a[2] = {{.i32 = 2}, {.i32 = 5}}, res = {0};
        rune_alloc_fail_after(n);
        rune_status st = rune_wasm_engine_new(RUNE_WASM_AOT, &cfg, &eng, &err);
        if (!st) st = rune_wasm_module_load(eng, b, len, &mod, &err);
        if (!st) st = rune_wasm_linker_new(&l, &err);
        if (!st) st = rune_wasm_instantiate(mod, l, NULL, &inst, &err);
        if (!st) st = rune_wasm_call(inst, "dispatch", a, 2, &res, 1, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            CHECK_EQ_INT(res.i32, 15);
            done = 1;
        } else {
            CHECK_MSG_(st == RUNE_E_NOMEM, "n=%ld: %s: %s", n, rune_status_name(st), err.msg);
        }
        rune_wasm_instance_free(inst);
        rune_wasm_linker_free(l);
        rune_wasm_module_free(mod);
        rune_wasm_engine_free(eng);
        CHECK_MSG_(rune_alloc_live() == live0, "n=%ld: leaked %ld", n, rune_alloc_live() - live0);
    }
    CHECK(done);
    free(b);
}

typedef struct worker {
    rune_wasm_instance *inst;
    int bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 200; i++) {
        rune_wasm_val a = {.i32 = (uint32_t)i}, res = {0};
        rune_error err;
        if (rune_wasm_call(w->inst, "count", &a, 1, &res, 1, &err) || res.i32 != (uint32_t)i)
            w->bad++;
        a.i32 = 1;
        if (rune_wasm_call(w->inst, "call_fail", &a, 1, &res, 1, &err) != RUNE_E_TRAP) w->bad++;
    }
    return NULL;
}

/* Two threads, each running fn on its own AOT instance of limits.wat; none may go wrong. */
static void run_two_threads(void *(*fn)(void *))
{
    rune_error err;
    rig r1, r2;
    CHECK_OK(rig_up(&r1, RUNE_WASM_AOT, "limits", NULL, &err), &err);
    CHECK_OK(rig_up(&r2, RUNE_WASM_AOT, "limits", NULL, &err), &err);
    worker w1 = {r1.inst, 0}, w2 = {r2.inst, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, fn, &w1);
    pthread_create(&t2, NULL, fn, &w2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK_EQ_INT(w1.bad, 0);
    CHECK_EQ_INT(w2.bad, 0);
    rig_down(&r1);
    rig_down(&r2);
}

TEST(threads_use_different_instances)
{
    run_two_threads(work);
}

/* Calls into different AOT instances run at the same time: each thread's guest calls a host
 * function that waits (up to 10 s) until the other thread's guest is inside it too. With calls
 * serialized across the process, the second thread could not enter and the first would time out. */
typedef struct meeting {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
} meeting;

static rune_status host_meet(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    meeting *m = user;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&m->mu);
    m->arrived++;
    pthread_cond_broadcast(&m->cv);
    int rc = 0;
    while (m->arrived < 2 && rc == 0)
        rc = pthread_cond_timedwait(&m->cv, &m->mu, &until);
    results[0].i32 = m->arrived >= 2 ? 10 * args[0].i32 : 0;
    pthread_mutex_unlock(&m->mu);
    return RUNE_OK;
}

static rune_status host_unused(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                               rune_wasm_val *results, rune_error *err)
{
    results[0].i32 = 0;
    return RUNE_OK;
}

typedef struct meeter {
    rune_wasm_instance *inst;
    uint32_t arg, got;
    rune_status st;
} meeter;

static void *meet_work(void *arg)
{
    meeter *w = arg;
    rune_wasm_val a = {.i32 = w->arg}, res = {0};
    rune_error err;
    w->st = rune_wasm_call(w->inst, "call_fail", &a, 1, &res, 1, &err);
    w->got = res.i32;
    return NULL;
}

TEST(calls_into_different_instances_run_in_parallel)
{
    rune_error err;
    meeting m = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    size_t len = 0;
    unsigned char *b = load_wat("limits", &len);
    CHECK(b != NULL);
    if (!b) return;
    rune_wasm_engine_config cfg = {cache_dir, NULL, NULL};
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst[2] = {NULL, NULL};
    rune_status st = rune_wasm_engine_new(RUNE_WASM_AOT, &cfg, &eng, &err);
    if (!st) st = rune_wasm_module_load(eng, b, len, &mod, &err);
    free(b);
    if (!st) st = rune_wasm_linker_new(&l, &err);
    if (!st) st = rune_wasm_linker_define_func(l, "host", "fail", "i:i", host_meet, &m, &err);
    if (!st) st = rune_wasm_linker_define_func(l, "host", "reenter", "i:i", host_unused, 0, &err);
    if (!st) st = rune_wasm_linker_define_func(l, "host", "other", "i:i", host_unused, 0, &err);
    for (int i = 0; i < 2 && !st; i++)
        st = rune_wasm_instantiate(mod, l, NULL, &inst[i], &err);
    CHECK_OK(st, &err);
    if (!st) {
        meeter w[2] = {{inst[0], 3, 0, RUNE_OK}, {inst[1], 4, 0, RUNE_OK}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, meet_work, &w[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        CHECK_EQ_INT(w[0].st, RUNE_OK);
        CHECK_EQ_INT(w[1].st, RUNE_OK);
        CHECK_EQ_INT(w[0].got, 31); /* the host saw both threads inside: 10 * 3, plus 1 */
        CHECK_EQ_INT(w[1].got, 41);
    }
    for (int i = 0; i < 2; i++)
        rune_wasm_instance_free(inst[i]);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
}

/* Two threads run metered and unmetered calls, traps and fuel exhaustion on their own instances of
 * one module at once: each instance keeps its own fuel and depth. */
static void *fuel_work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 100; i++) {
        rune_wasm_val a = {.i32 = 1000}, res = {0};
        rune_error err;
        rune_wasm_set_fuel(w->inst, 1u << 30);
        if (rune_wasm_call(w->inst, "count", &a, 1, &res, 1, &err) || res.i32 != 1000) w->bad++;
        rune_wasm_set_fuel(w->inst, 20000);
        if (rune_wasm_call(w->inst, "spin", NULL, 0, NULL, 0, &err) != RUNE_E_LIMIT) w->bad++;
        rune_wasm_set_fuel(w->inst, 0);
        a.i32 = 100;
        if (rune_wasm_call(w->inst, "rec", &a, 1, &res, 1, &err) || res.i32 != 100) w->bad++;
    }
    return NULL;
}

TEST(parallel_instances_keep_their_own_fuel_and_depth)
{
    run_two_threads(fuel_work);
}

int main(void)
{
    if (!test_scratch_dir(cache_dir, sizeof cache_dir, "aot-test")) return 1;
    RUN(cache_second_load_does_not_recompile);
    RUN(damaged_cache_entry_is_rebuilt);
    RUN(fuel_stops_endless_loops_on_both_engines);
    RUN(fuel_units_close_to_interpreter);
    RUN(fuel_survives_nested_unmetered_call);
    RUN(call_depth_limit_on_both_engines);
    RUN(memory_limit_on_both_engines);
    RUN(host_errors_and_reentry_on_both_engines);
    RUN(trap_names_the_function);
    RUN(compile_failure_is_a_clean_error);
    RUN(allocation_failures_leak_nothing);
    RUN(threads_use_different_instances);
    RUN(calls_into_different_instances_run_in_parallel);
    RUN(parallel_instances_keep_their_own_fuel_and_depth);
    test_rm_flat_dir(cache_dir);
    return test_report();
}

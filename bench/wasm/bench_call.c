/*
 * bench_call.c - what crossing the wasm boundary costs, on each engine, against a native call in
 * the same run: (1) an empty export called from the host (rune_wasm_call_func on a resolved
 * function), (2) an export that calls one host import, (3) a guest loop of import calls (the cost
 * of one import call from generated code, without the export call), the host function defined
 * both ways: rune_wasm_linker_define_func (arguments in arrays) and rune_wasm_linker_define_i32
 * (arguments in registers). The guest is calls.c, compiled
 * natively (called through a function pointer, so not inlined) and to wasm32. Times are thread CPU
 * time, best of 5 rounds of N calls, in nanoseconds per call.
 *   bench_call [--n N] [--aot-only]   N calls per round (default 200000); --aot-only skips the
 *   interpreter (for profiling the AOT boundary with perf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_io.h"
#include "rune/wasm.h"

uint32_t c_nop(uint32_t x);
uint32_t c_one_import(uint32_t x);
uint32_t c_imports(uint32_t n);

__attribute__((noinline)) static uint32_t native_id(uint32_t x)
{
    return x ^ 1;
}
uint32_t (*volatile bench_call_host)(uint32_t) = native_id;
static uint32_t (*volatile native_nop)(uint32_t) = c_nop;
static uint32_t (*volatile native_one)(uint32_t) = c_one_import;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static rune_status h_id(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                        rune_wasm_val *results, rune_error *err)
{
    (void)inst;
    (void)user;
    (void)err;
    results[0].i32 = args[0].i32 ^ 1;
    return RUNE_OK;
}

static uint32_t h_id32(rune_wasm_hostcall *hc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                       uint32_t a4)
{
    (void)hc, (void)a1, (void)a2, (void)a3, (void)a4;
    return a0 ^ 1;
}

#define ROUNDS 5

typedef struct times {
    double nop, one, imports; /* ns per call */
} times;

static void native_times(uint32_t n, times *t)
{
    t->nop = t->one = t->imports = 1e30;
    volatile uint32_t sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (uint32_t i = 0; i < n; i++)
            sink += native_nop(i);
        double t1 = now();
        for (uint32_t i = 0; i < n; i++)
            sink += native_one(i);
        double t2 = now();
        sink += c_imports(n);
        double t3 = now();
        if ((t1 - t0) * 1e9 / n < t->nop) t->nop = (t1 - t0) * 1e9 / n;
        if ((t2 - t1) * 1e9 / n < t->one) t->one = (t2 - t1) * 1e9 / n;
        if ((t3 - t2) * 1e9 / n < t->imports) t->imports = (t3 - t2) * 1e9 / n;
    }
    (void)sink;
}

static int engine_times(rune_wasm_engine_kind kind, const unsigned char *b, size_t len, uint32_t n,
                        int i32, times *t)
{
    rune_error err;
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst = NULL;
    rune_wasm_func fnop, fone, fimp;
    int rc = -1;
    if (rune_wasm_engine_new(kind, NULL, &eng, &err) ||
        rune_wasm_module_load(eng, b, len, &mod, &err) || rune_wasm_linker_new(&l, &err) ||
        (i32 ? rune_wasm_linker_define_i32(l, "env", "id", "i:i", h_id32, NULL, &err)
             : rune_wasm_linker_define_func(l, "env", "id", "i:i", h_id, NULL, &err)) ||
        rune_wasm_instantiate(mod, l, NULL, &inst, &err) ||
        rune_wasm_find_func(inst, "nop", &fnop, &err) ||
        rune_wasm_find_func(inst, "one_import", &fone, &err) ||
        rune_wasm_find_func(inst, "imports", &fimp, &err)) {
        fprintf(stderr, "bench_call: %s: %s\n", rune_wasm_engine_kind_name(kind), err.msg);
        goto done;
    }
    t->nop = t->one = t->imports = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        rune_wasm_val a, res;
        double t0 = now();
        for (uint32_t i = 0; i < n; i++) {
            a.i32 = i;
            if (rune_wasm_call_func(inst, &fnop, &a, 1, &res, 1, &err)) goto fail;
        }
        double t1 = now();
        for (uint32_t i = 0; i < n; i++) {
            a.i32 = i;
            if (rune_wasm_call_func(inst, &fone, &a, 1, &res, 1, &err)) goto fail;
        }
        double t2 = now();
        a.i32 = n;
        if (rune_wasm_call_func(inst, &fimp, &a, 1, &res, 1, &err)) goto fail;
        double t3 = now();
        if ((t1 - t0) * 1e9 / n < t->nop) t->nop = (t1 - t0) * 1e9 / n;
        if ((t2 - t1) * 1e9 / n < t->one) t->one = (t2 - t1) * 1e9 / n;
        if ((t3 - t2) * 1e9 / n < t->imports) t->imports = (t3 - t2) * 1e9 / n;
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench_call: %s: %s\n", rune_wasm_engine_kind_name(kind), err.msg);
done:
    rune_wasm_instance_free(inst);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t n = 200000;
    int aot_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) n = (uint32_t)strtoul(argv[++i], NULL, 10);
        if (strcmp(argv[i], "--aot-only") == 0) aot_only = 1;
    }
    if (n == 0) n = 1;
    size_t len = 0;
    unsigned char *b = bench_read_all(RUNE_BENCH_CALLS_WASM, &len);
    if (!b) {
        fprintf(stderr, "bench_call: cannot read %s\n", RUNE_BENCH_CALLS_WASM);
        return 1;
    }
    times nat, in = {0, 0, 0}, ao, in32 = {0, 0, 0}, ao32;
    native_times(n, &nat);
    if ((!aot_only && (engine_times(RUNE_WASM_INTERP, b, len, n, 0, &in) ||
                       engine_times(RUNE_WASM_INTERP, b, len, n, 1, &in32))) ||
        engine_times(RUNE_WASM_AOT, b, len, n, 0, &ao) ||
        engine_times(RUNE_WASM_AOT, b, len, n, 1, &ao32)) {
        free(b);
        return 1;
    }
    free(b);
    printf("ns per call (best of %d x %u calls)        native    interp       aot   aot-native\n",
           ROUNDS, (unsigned)n);
    printf("export call, empty body                 %8.1f  %8.1f  %8.1f  %8.1f\n", nat.nop, in.nop,
           ao.nop, ao.nop - nat.nop);
    printf("export call with one import call        %8.1f  %8.1f  %8.1f  %8.1f\n", nat.one, in.one,
           ao.one, ao.one - nat.one);
    printf("  the import an i32 host function       %8.1f  %8.1f  %8.1f  %8.1f\n", nat.one,
           in32.one, ao32.one, ao32.one - nat.one);
    printf("import call from guest code             %8.1f  %8.1f  %8.1f  %8.1f\n", nat.imports,
           in.imports, ao.imports, ao.imports - nat.imports);
    printf("  the import an i32 host function       %8.1f  %8.1f  %8.1f  %8.1f\n", nat.imports,
           in32.imports, ao32.imports, ao32.imports - nat.imports);
    return 0;
}

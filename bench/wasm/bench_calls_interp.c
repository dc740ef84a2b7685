/*
 * bench_calls_interp.c - what crossing the sandbox boundary costs: a call of an exported function
 * from C (rune_wasm_call_func), a call of a host import from wasm, and a wasm-to-wasm call, each
 * against a plain native call through a function pointer measured in the same run. Prints
 * nanoseconds per call and the ratio to the native call, for every engine built in.
 *
 * The import and wasm-to-wasm costs are loop_import / loop_wasm minus loop_inline (the same loop
 * with the callee's work inline), so the loop itself does not count. Best of 5 in thread CPU time.
 *
 *   bench_calls_interp [--n N]   N = calls per measurement (default 2,000,000)
 *
 * Workload: runes call a handful of host functions (capabilities, wasi-nn, outputs) per inference
 * and the host calls the rune's exports once per inference; this is that path in isolation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rune/wasm.h"

/* The module, from this text (wat2wasm 1.0.32):
 * (module
 *   (import "env" "add1" (func $add1 (param i32) (result i32)))
 *   (memory 1)
 *   (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
 *   (func (export "empty"))
 *   (func (export "id") (param i32) (result i32) (local.get 0))
 *   (func (export "loop_import") (param i32) (result i32) (local i32)
 *     (loop $l
 *       (local.set 1 (call $add1 (local.get 1)))
 *       (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
 *     (local.get 1))
 *   (func (export "loop_wasm") (param i32) (result i32) (local i32)
 *     (loop $l
 *       (local.set 1 (call $leaf (local.get 1)))
 *       (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
 *     (local.get 1))
 *   (func (export "loop_inline") (param i32) (result i32) (local i32)
 *     (loop $l
 *       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
 *       (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
 *     (local.get 1)))
 */
static const unsigned char calls_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x61, 0x64, 0x64, 0x31, 0x00,
    0x00, 0x03, 0x07, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07,
    0x36, 0x05, 0x05, 0x65, 0x6d, 0x70, 0x74, 0x79, 0x00, 0x02, 0x02, 0x69, 0x64, 0x00, 0x03, 0x0b,
    0x6c, 0x6f, 0x6f, 0x70, 0x5f, 0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x00, 0x04, 0x09, 0x6c, 0x6f,
    0x6f, 0x70, 0x5f, 0x77, 0x61, 0x73, 0x6d, 0x00, 0x05, 0x0b, 0x6c, 0x6f, 0x6f, 0x70, 0x5f, 0x69,
    0x6e, 0x6c, 0x69, 0x6e, 0x65, 0x00, 0x06, 0x0a, 0x5d, 0x06, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01,
    0x6a, 0x0b, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x18, 0x01, 0x01, 0x7f, 0x03, 0x40,
    0x20, 0x01, 0x10, 0x00, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b,
    0x20, 0x01, 0x0b, 0x18, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x01, 0x10, 0x01, 0x21, 0x01, 0x20,
    0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b, 0x19, 0x01, 0x01, 0x7f,
    0x03, 0x40, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00,
    0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define ROUNDS 5

static rune_status host_add1(rune_wasm_instance *inst, void *user, const rune_wasm_val *args,
                             rune_wasm_val *results, rune_error *err)
{
    (void)inst;
    (void)user;
    (void)err;
    results[0].i32 = args[0].i32 + 1;
    return RUNE_OK;
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint32_t
native_add1(uint32_t x)
{
    return x + 1;
}
static uint32_t (*volatile native_fn)(uint32_t) = native_add1;

/* Native: n calls through a function pointer the compiler cannot see through. */
static double time_native(uint32_t n, uint32_t *sum)
{
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t (*f)(uint32_t) = native_fn;
        uint32_t x = 0;
        double t0 = now();
        for (uint32_t i = 0; i < n; i++)
            x = f(x);
        double t = now() - t0;
        if (t < best) best = t;
        *sum = x;
    }
    return best;
}

/* n calls of export fn from C with one i32 argument (fn takes one) or none. */
static double time_export(rune_wasm_instance *inst, const rune_wasm_func *fn, int nargs, uint32_t n)
{
    double best = 1e30;
    rune_error err;
    for (int r = 0; r < ROUNDS; r++) {
        rune_wasm_val a = {.i32 = 7}, res = {0};
        double t0 = now();
        for (uint32_t i = 0; i < n; i++) {
            if (rune_wasm_call_func(inst, fn, &a, (size_t)nargs, &res, (size_t)nargs, &err)) {
                fprintf(stderr, "bench_calls_interp: %s\n", err.msg);
                return -1;
            }
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    return best;
}

/* One call of loop export name(n); the result must be n. */
static double time_loop(rune_wasm_instance *inst, const char *name, uint32_t n)
{
    double best = 1e30;
    rune_error err;
    for (int r = 0; r < ROUNDS; r++) {
        rune_wasm_val a = {.i32 = n}, res = {0};
        double t0 = now();
        if (rune_wasm_call(inst, name, &a, 1, &res, 1, &err)) {
            fprintf(stderr, "bench_calls_interp: %s: %s\n", name, err.msg);
            return -1;
        }
        double t = now() - t0;
        if (res.i32 != n) {
            fprintf(stderr, "bench_calls_interp: %s returned %u, not %u\n", name, (unsigned)res.i32,
                    (unsigned)n);
            return -1;
        }
        if (t < best) best = t;
    }
    return best;
}

static int run_engine(rune_wasm_engine_kind kind, uint32_t n, double native_ns)
{
    rune_error err;
    rune_wasm_engine *eng = NULL;
    rune_wasm_module *mod = NULL;
    rune_wasm_linker *l = NULL;
    rune_wasm_instance *inst = NULL;
    int rc = 1;
    if (rune_wasm_engine_new(kind, NULL, &eng, &err)) return 0; /* not built in: skip */
    if (rune_wasm_module_load(eng, calls_wasm, sizeof calls_wasm, &mod, &err) ||
        rune_wasm_linker_new(&l, &err) ||
        rune_wasm_linker_define_func(l, "env", "add1", "i:i", host_add1, NULL, &err) ||
        rune_wasm_instantiate(mod, l, NULL, &inst, &err)) {
        fprintf(stderr, "bench_calls_interp: %s: %s\n", rune_wasm_engine_kind_name(kind), err.msg);
        goto out;
    }
    rune_wasm_func empty, id;
    if (rune_wasm_find_func(inst, "empty", &empty, &err) ||
        rune_wasm_find_func(inst, "id", &id, &err)) {
        fprintf(stderr, "bench_calls_interp: %s\n", err.msg);
        goto out;
    }
    double te = time_export(inst, &empty, 0, n), ti = time_export(inst, &id, 1, n);
    double tli = time_loop(inst, "loop_import", n), tlw = time_loop(inst, "loop_wasm", n);
    double tl0 = time_loop(inst, "loop_inline", n);
    if (te < 0 || ti < 0 || tli < 0 || tlw < 0 || tl0 < 0) goto out;
    const char *en = rune_wasm_engine_kind_name(kind);
    struct {
        const char *what;
        double s;
    } rows[] = {
        {"export call, no args (C -> wasm)", te},
        {"export call, i32 -> i32 (C -> wasm)", ti},
        {"import call, i32 -> i32 (wasm -> C)", tli - tl0},
        {"wasm -> wasm call, i32 -> i32", tlw - tl0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double ns = rows[i].s / n * 1e9;
        printf("%-7s %-38s %8.1f ns %8.1fx native\n", en, rows[i].what, ns, ns / native_ns);
    }
    rc = 0;
out:
    rune_wasm_instance_free(inst);
    rune_wasm_linker_free(l);
    rune_wasm_module_free(mod);
    rune_wasm_engine_free(eng);
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t n = 2000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            n = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_calls_interp [--n N]\n");
            return 2;
        }
    }
    if (n < 1000) n = 1000;
    uint32_t sum = 0;
    double native_ns = time_native(n, &sum) / n * 1e9;
    if (sum != n) return 1;
    printf("%-7s %-38s %8.1f ns\n", "native", "call through a function pointer", native_ns);
    if (native_ns <= 0) native_ns = 1e-3;
    if (run_engine(RUNE_WASM_INTERP, n, native_ns) || run_engine(RUNE_WASM_AOT, n, native_ns))
        return 1;
    return 0;
}

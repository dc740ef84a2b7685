/*
 * bench_wasm.c - the wasm engines against native code on the same C kernels (kernels.c): FFT,
 * matrix multiply, CRC-32, heap sort, int8 convolution. Each kernel runs natively (-O2), on the
 * interpreter and on AOT (wasm32 -O2, compiled by the AOT engine before timing) with the same
 * repeat count, best of 3 in thread CPU time (other processes on the machine do not count); the
 * output is each engine's speed as a fraction of native (native time / engine time) and the
 * geometric mean. Checksums of interp and AOT must agree (native may differ in float rounding only
 * if the compilers contract differently; it is shown). Targets: interp >= 1/12, AOT >= 0.8 of
 * native.
 *   bench_wasm [--ms N] [--fuel F]
 *   N = native milliseconds per kernel to aim for (default 40); F = fuel per call on both engines
 *   (default 0 = unlimited). With fuel the AOT engine runs its fuel ticks in every loop, which
 * keeps gcc from vectorizing them: run both ways to see what metering costs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_io.h"
#include "rune/wasm.h"

uint32_t k_fft(uint32_t reps);
uint32_t k_matmul(uint32_t reps);
uint32_t k_crc32(uint32_t reps);
uint32_t k_sort(uint32_t reps);
uint32_t k_conv(uint32_t reps);

static const struct {
    const char *name;
    uint32_t (*native)(uint32_t);
} kernels[] = {
    {"k_fft", k_fft},   {"k_matmul", k_matmul}, {"k_crc32", k_crc32},
    {"k_sort", k_sort}, {"k_conv", k_conv},
};
#define NK (sizeof kernels / sizeof kernels[0])

/* Thread CPU time: other processes on a shared machine do not count. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define ROUNDS 5

typedef struct engine_run {
    rune_wasm_engine *eng;
    rune_wasm_module *mod;
    rune_wasm_linker *l;
    rune_wasm_instance *inst;
    double load_s;
} engine_run;

static int start(engine_run *r, rune_wasm_engine_kind kind, const unsigned char *b, size_t n)
{
    rune_error err;
    double t0 = wall();
    if (rune_wasm_engine_new(kind, NULL, &r->eng, &err) ||
        rune_wasm_module_load(r->eng, b, n, &r->mod, &err) || rune_wasm_linker_new(&r->l, &err) ||
        rune_wasm_instantiate(r->mod, r->l, NULL, &r->inst, &err)) {
        fprintf(stderr, "bench_wasm: %s: %s\n", rune_wasm_engine_kind_name(kind), err.msg);
        return -1;
    }
    r->load_s = wall() - t0;
    return 0;
}

static void stop(engine_run *r)
{
    rune_wasm_instance_free(r->inst);
    rune_wasm_linker_free(r->l);
    rune_wasm_module_free(r->mod);
    rune_wasm_engine_free(r->eng);
}

/* Time of one call with reps repetitions; *sum gets the checksum. Negative on error. */
static double time_wasm(engine_run *r, const char *name, uint32_t reps, uint32_t *sum)
{
    rune_wasm_val a = {.i32 = reps}, res = {0};
    rune_error err;
    double t0 = now();
    if (rune_wasm_call(r->inst, name, &a, 1, &res, 1, &err)) {
        fprintf(stderr, "bench_wasm: %s: %s\n", name, err.msg);
        return -1;
    }
    *sum = res.i32;
    return now() - t0;
}

int main(int argc, char **argv)
{
    double target = 0.040;
    uint64_t fuel = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) target = atof(argv[++i]) / 1000.0;
        if (strcmp(argv[i], "--fuel") == 0 && i + 1 < argc) fuel = strtoull(argv[++i], NULL, 10);
    }
    size_t n = 0;
    unsigned char *bytes = bench_read_all(RUNE_BENCH_KERNELS_WASM, &n);
    if (!bytes) {
        fprintf(stderr, "bench_wasm: cannot read %s\n", RUNE_BENCH_KERNELS_WASM);
        return 1;
    }
    engine_run in = {0}, ao = {0};
    if (start(&in, RUNE_WASM_INTERP, bytes, n) || start(&ao, RUNE_WASM_AOT, bytes, n)) return 1;
    rune_wasm_set_fuel(in.inst, fuel);
    rune_wasm_set_fuel(ao.inst, fuel);
    if (fuel) printf("fuel per call: %llu\n", (unsigned long long)fuel);
    printf("load: interp %.1f ms, aot %.1f ms (compile on a cache miss, else dlopen)\n",
           in.load_s * 1e3, ao.load_s * 1e3);
    printf("%-10s %6s %10s %10s %10s %8s %8s  %s\n", "kernel", "reps", "native ms", "interp ms",
           "aot ms", "interp", "aot", "checksums");
    double gi = 0, ga = 0;
    int bad = 0;
    for (size_t k = 0; k < NK; k++) {
        double t1 = now();
        volatile uint32_t sink = kernels[k].native(1);
        double one = now() - t1;
        uint32_t reps = one > 0 ? (uint32_t)(target / one) : 1000;
        if (reps < 1) reps = 1;
        /* Rounds interleave the three so that drift hits all alike; the best of each counts. */
        double tn = 1e30, ti = 1e30, ta = 1e30;
        uint32_t sn = 0, si = 0, sa = 0;
        for (int r = 0; r < ROUNDS; r++) {
            double t0 = now();
            sn = kernels[k].native(reps);
            double t = now() - t0;
            if (t < tn) tn = t;
            t = time_wasm(&in, kernels[k].name, reps, &si);
            if (t < 0) return 1;
            if (t < ti) ti = t;
            t = time_wasm(&ao, kernels[k].name, reps, &sa);
            if (t < 0) return 1;
            if (t < ta) ta = t;
        }
        (void)sink;
        double ri = tn / ti, ra = tn / ta;
        gi += log(ri);
        ga += log(ra);
        if (si != sa) bad = 1;
        printf("%-10s %6u %10.2f %10.2f %10.2f %8.3f %8.3f  %08x %08x %08x%s\n", kernels[k].name,
               reps, tn * 1e3, ti * 1e3, ta * 1e3, ri, ra, sn, si, sa,
               si != sa ? "  MISMATCH interp/aot" : (sn != si ? "  (native differs)" : ""));
    }
    gi = exp(gi / NK);
    ga = exp(ga / NK);
    printf("geomean speed vs native: interp %.3f (1/%.1f, target >= 1/12), aot %.3f (target >= "
           "0.8)\n",
           gi, 1.0 / gi, ga);
    stop(&in);
    stop(&ao);
    free(bytes);
    return bad;
}

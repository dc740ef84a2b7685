/*
 * bench_overhead.c - the Rune paper's overhead experiment, redone: the sine pipeline (RAND ->
 * modulo -> hello_world model -> serial) compiled natively against the same model engine and proc
 * blocks, versus the same pipeline as a rune on each engine, for 1,000 to 1,000,000 inferences.
 * overhead = (t_rune - t_native) / t_native. Prints a table (or --json) and, with gnuplot present,
 * draws overhead.png. The paper measured 28% to 45%; targets here: AOT < 5%, interpreter < 25%.
 * Timing: each size is run --reps (3) times in stretches of at most 1,000 inferences (a size below
 * 10,000, 10,000 / size times as often, so every row rests on as many inferences); within a
 * stretch native, interpreter and AOT run back to back, each after --warmup (200) untimed
 * inferences of its own (so no side starts on the caches and branch history another left), timed
 * in the thread's CPU time. Overhead is printed three ways: from each side's best rep (the sum of
 * its stretches: the paper's measure), as the median over all stretches of t_side / t_native - 1
 * (the two sides ran within a millisecond of each other, so a noisy neighbour moves a few
 * stretches, not the median), and from each side's 10th-percentile stretch (noise only ever adds
 * time: the closest to a quiet machine). The rune is
 * opened (and AOT-compiled, cached) once, outside the timing: this measures the cost of running
 * inside the sandbox, not of starting it. Also printed: the guest's work per inference, as the
 * interpreter's fuel for one _call (about one unit per wasm instruction; loops count per
 * iteration, straight-line code once per function entry).
 *
 *   bench_overhead [--max N] [--reps N] [--warmup N] [--png FILE] [--engine interp|aot] [--json]
 * (--engine: native and that engine only, e.g. to profile one engine under callgrind)
 */
#include "native_host.h"
#include "rune/alloc.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <time.h>

/* The calling thread's CPU time: every engine runs the rune on this thread, and on a machine
 * shared with other work, time spent descheduled is not the rune's. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MAX_ROWS 8
#define CHUNK 1000    /* inferences per side per stretch (--stretch) */
#define ROW_MIN 10000 /* a row rests on at least this many inferences per rep */

/* warmup + n inferences of side s (0 native, 1 interpreter, 2 AOT); the n timed into *dt. */
static int run_side(int s, rune_host *const *hosts, long n, long warmup, double *dt)
{
    rune_error err;
    for (int timed = 0; timed < 2; timed++) {
        long count = timed ? n : warmup;
        double t0 = now_s();
        for (long i = 0; i < count; i++) {
            if (s == 0 ? rune_call_() != 0 : rune_host_call(hosts[s - 1], &err) != RUNE_OK) {
                fprintf(stderr, "bench_overhead: %s\n", s == 0 ? "native _call failed" : err.msg);
                return -1;
            }
        }
        if (timed) *dt = now_s() - t0;
    }
    return 0;
}

/* ,"key":v in JSON; null for an engine not run (NAN). */
static void jnum(const char *key, double v, int prec)
{
    if (isnan(v))
        printf(",\"%s\":null", key);
    else
        printf(",\"%s\":%.*f", key, prec, v);
}

/* Does the run include engine e (0 interpreter, 1 AOT)? */
static int uses(int only, int e)
{
    return only < 0 || only == (e ? RUNE_WASM_AOT : RUNE_WASM_INTERP);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The q-quantile of v[n] (sorts v; NAN if a side was not run). */
static double percentile(double *v, size_t n, double q)
{
    if (!n || isnan(v[0])) return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)(q * (double)(n - 1))];
}

int main(int argc, char **argv)
{
    long max = 1000000;
    const char *png = "overhead.png";
    long stretch = CHUNK;
    int json = 0, reps = 3, only = -1; /* only: one engine (rune_wasm_engine_kind), -1 both */
    long warmup = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max = atol(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--stretch") && i + 1 < argc && atol(argv[i + 1]) > 0)
            stretch = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atol(argv[++i]);
        else if (!strcmp(argv[i], "--png") && i + 1 < argc)
            png = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--engine") && i + 1 < argc &&
                 rune_wasm_engine_kind_parse(argv[i + 1]) >= 0)
            only = rune_wasm_engine_kind_parse(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_overhead [--max N] [--reps N] [--warmup N] [--png FILE] "
                            "[--engine interp|aot] [--json]\n");
            return 2;
        }
    }
    rune_error err;
    uint8_t *model = NULL, *rune = NULL;
    size_t model_len = 0, rune_len = 0;
    if (rune_file_read_max(RUNE_SHARED_DIR "/models/hello_world_float.tflite", 0, &model,
                           &model_len, &err) != RUNE_OK ||
        rune_file_read_max(SINE_RUNE, 0, &rune, &rune_len, &err) != RUNE_OK) {
        fprintf(stderr, "bench_overhead: %s\n", err.msg);
        return 1;
    }
    FILE *devnull = fopen("/dev/null", "w");
    long ns[MAX_ROWS];
    int rows = 0;
    for (long n = 1000; n <= max && rows < MAX_ROWS; n *= 10)
        ns[rows++] = n;
    double t[3][MAX_ROWS]; /* native, interp, aot */

    /* Each size is measured reps times, native and both engines interleaved, and the best time of
     * each kept: the machine's noise only ever adds time. */
    if (reps < 1) reps = 1;
    native_host_init(model, model_len, 7, devnull);
    if (rune_manifest_() != 0) {
        fprintf(stderr, "bench_overhead: native _manifest failed\n");
        return 1;
    }
    rune_cap_provider *prov[2] = {NULL, NULL};
    rune_host *hosts[2] = {NULL, NULL};
    for (int e = 0; e < 2; e++) {
        if (!uses(only, e)) continue;
        if (rune_cap_random(7, &prov[e], &err) != RUNE_OK) return 1;
        rune_host_config cfg = {0};
        cfg.engine = e ? RUNE_WASM_AOT : RUNE_WASM_INTERP;
        cfg.providers = &prov[e];
        cfg.nproviders = 1;
        cfg.serial_out = devnull;
        if (rune_host_open(rune, rune_len, &cfg, &hosts[e], &err) != RUNE_OK) {
            fprintf(stderr, "bench_overhead: %s\n", err.msg);
            return 1;
        }
    }
    double ov[2][MAX_ROWS]; /* median chunk overhead: interp, aot */
    double lo[2][MAX_ROWS]; /* 10th-percentile chunk overhead: interp, aot */
    for (int r = 0; r < rows; r++) {
        const long chunk = ns[r] < stretch ? ns[r] : stretch, nchunks = ns[r] / chunk;
        /* a size below ROW_MIN gets more reps, so that each row rests on as many inferences (a
         * stretch of 1,000 is half a millisecond: one timer tick is a tenth of it) */
        const int nreps = reps * (ns[r] < ROW_MIN ? (int)(ROW_MIN / ns[r]) : 1);
        const size_t nsamples = (size_t)nreps * (size_t)nchunks;
        double *ratio[2] = {malloc(nsamples * sizeof(double)), malloc(nsamples * sizeof(double))};
        double *ct[3] = {malloc(nsamples * sizeof(double)), malloc(nsamples * sizeof(double)),
                         malloc(nsamples * sizeof(double))};
        if (!ratio[0] || !ratio[1] || !ct[0] || !ct[1] || !ct[2]) {
            fprintf(stderr, "bench_overhead: out of memory\n");
            return 1;
        }
        size_t k = 0;
        t[0][r] = t[1][r] = t[2][r] = 1e30;
        for (int rep = 0; rep < nreps; rep++) {
            double sum[3] = {0, 0, 0};
            for (long c = 0; c < nchunks; c++, k++) {
                double dt[3];
                for (int side = 0; side < 3; side++) {
                    dt[side] = NAN;
                    if (side && !uses(only, side - 1)) {
                        sum[side] = NAN;
                        continue;
                    }
                    if (run_side(side, hosts, chunk, warmup, &dt[side]) != 0) return 1;
                    sum[side] += dt[side];
                }
                ratio[0][k] = dt[1] / dt[0];
                ratio[1][k] = dt[2] / dt[0];
                for (int side = 0; side < 3; side++)
                    ct[side][k] = dt[side];
            }
            for (int side = 0; side < 3; side++)
                if (isnan(sum[side]) || sum[side] < t[side][r]) t[side][r] = sum[side];
        }
        ov[0][r] = uses(only, 0) ? median(ratio[0], k) - 1 : NAN; /* NAN: engine not run */
        ov[1][r] = uses(only, 1) ? median(ratio[1], k) - 1 : NAN;
        /* each side's 10th-percentile stretch: its cost with the machine's noise mostly gone */
        const double p_native = percentile(ct[0], k, 0.10);
        lo[0][r] = uses(only, 0) ? percentile(ct[1], k, 0.10) / p_native - 1 : NAN;
        lo[1][r] = uses(only, 1) ? percentile(ct[2], k, 0.10) / p_native - 1 : NAN;
        for (int side = 0; side < 3; side++)
            free(ct[side]);
        free(ratio[0]);
        free(ratio[1]);
    }
    /* Guest work per inference: the interpreter's fuel (about one unit per wasm instruction) spent
     * by one _call. */
    uint64_t fuel = 0;
    if (hosts[0]) {
        rune_wasm_instance *inst = rune_host_instance(hosts[0]);
        const uint64_t tank = (uint64_t)1 << 40;
        rune_wasm_set_fuel(inst, tank);
        if (rune_host_call(hosts[0], &err) != RUNE_OK) {
            fprintf(stderr, "bench_overhead: %s\n", err.msg);
            return 1;
        }
        fuel = tank - rune_wasm_fuel_left(inst);
        rune_wasm_set_fuel(inst, 0);
    }
    for (int e = 0; e < 2; e++) {
        rune_host_free(hosts[e]);
        rune_cap_provider_free(prov[e]);
    }
    native_host_reset();

    /* Overhead three ways: from the best rep's time of each side (the paper's measure: the whole
     * run), the median of the stretches' ratios (what a typical stretch of 1,000 inferences cost
     * next to native on this machine as it was), and each side's 10th-percentile stretch (noise
     * only ever adds time, so the fast stretches are the code's own cost). */
#define BEST(e, r) ((t[1 + (e)][r] - t[0][r]) / t[0][r])
    if (json) {
        printf("[");
        for (int r = 0; r < rows; r++) {
            printf("%s{\"inferences\":%ld", r ? "," : "", ns[r]);
            jnum("native_s", t[0][r], 6);
            jnum("interp_s", t[1][r], 6);
            jnum("aot_s", t[2][r], 6);
            jnum("interp_overhead", BEST(0, r), 4);
            jnum("aot_overhead", BEST(1, r), 4);
            jnum("interp_overhead_median", ov[0][r], 4);
            jnum("aot_overhead_median", ov[1][r], 4);
            jnum("interp_overhead_p10", lo[0][r], 4);
            jnum("aot_overhead_p10", lo[1][r], 4);
            printf(",\"guest_fuel_per_call\":%llu}", (unsigned long long)fuel);
        }
        printf("]\n");
    } else {
        printf("sine pipeline: rune vs native (same model engine and proc blocks)\n");
        printf("%11s %9s %9s %9s %8s %8s %8s %8s %8s %8s\n", "inferences", "native s", "interp s",
               "aot s", "interp", "aot", "i med", "aot med", "i p10", "aot p10");
        for (int r = 0; r < rows; r++)
            printf("%11ld %9.4f %9.4f %9.4f %7.1f%% %7.1f%% %7.1f%% %7.1f%% %7.1f%% %7.1f%%\n",
                   ns[r], t[0][r], t[1][r], t[2][r], 100 * BEST(0, r), 100 * BEST(1, r),
                   100 * ov[0][r], 100 * ov[1][r], 100 * lo[0][r], 100 * lo[1][r]);
        printf("interp, aot: from each side's best rep; med: the median of the 1,000-inference "
               "stretches' ratios;\np10: each side's 10th-percentile stretch (noise only adds "
               "time: the closest to a quiet machine)\n");
        if (fuel)
            printf("guest work: %llu fuel (about wasm instructions) per _call\n",
                   (unsigned long long)fuel);
        printf("targets: aot < 5%%, interpreter < 25%% (the paper measured 28%% to 45%%)\n");
    }
    /* The plot, when gnuplot is there. */
    FILE *dat = fopen("overhead.dat", "w");
    if (dat) {
        for (int r = 0; r < rows; r++)
            fprintf(dat, "%ld %f %f %f %f %f %f\n", ns[r], 100 * BEST(0, r), 100 * BEST(1, r),
                    100 * ov[0][r], 100 * ov[1][r], 100 * lo[0][r], 100 * lo[1][r]);
        fclose(dat);
        char cmd[2048];
        snprintf(
            cmd, sizeof cmd,
            "gnuplot -e \"set terminal png size 800,480; set output '%s'; set logscale x; "
            "set xlabel 'inferences'; set ylabel 'overhead vs native (%%)'; set key top right; "
            "set title 'Rune overhead, sine pipeline'; set grid; set yrange [0:60]; "
            "plot 'overhead.dat' using 1:2 with linespoints title 'interpreter', "
            "'' using 1:3 with linespoints title 'AOT (wasm2c)', "
            "'' using 1:4 with points title 'interpreter, median stretch', "
            "'' using 1:5 with points title 'AOT, median stretch', "
            "'' using 1:6 with points title 'interpreter, p10 stretch', "
            "'' using 1:7 with points title 'AOT, p10 stretch', 28 title 'paper min' dt 2, "
            "45 title 'paper max' dt 2, 25 title 'target, interpreter' dt 3, "
            "5 title 'target, AOT' dt 3\" 2>/dev/null",
            png);
        if (system(cmd) == 0 && !json) printf("plot: %s\n", png);
    }
    fclose(devnull);
    rune_free(model);
    rune_free(rune);
    return 0;
}

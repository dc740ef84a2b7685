/*
 * bench_overhead.c - the Rune paper's overhead experiment, redone: the sine pipeline (RAND ->
 * modulo -> hello_world model -> serial) compiled natively against the same model engine and proc
 * blocks, versus the same pipeline as a rune on each engine, for 1,000 to 1,000,000 inferences.
 * overhead = (t_rune - t_native) / t_native. Prints a table (or --json) and, with gnuplot present,
 * draws overhead.png. The paper measured 28% to 45%; targets here: AOT < 5%, interpreter < 25%.
 * Each size is the best of 3 (--reps) interleaved runs, timed in the thread's CPU time, each run
 * preceded by --warmup (200) untimed inferences of the same side, so that no side starts on the
 * caches and branch history the other left (the small sizes otherwise measure mostly that). The
 * rune is opened (and AOT-compiled, cached) once, outside the timing: this measures the cost of
 * running inside the sandbox, not of starting it. Also printed: the guest's work per inference, as
 * the interpreter's fuel for one _call (about one unit per wasm instruction; loops count per
 * iteration, straight-line code once per function entry).
 *
 *   bench_overhead [--max N] [--reps N] [--warmup N] [--png FILE] [--json]
 */
#include "native_host.h"
#include "rune/alloc.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    long max = 1000000;
    const char *png = "overhead.png";
    int json = 0, reps = 3;
    long warmup = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max = atol(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atol(argv[++i]);
        else if (!strcmp(argv[i], "--png") && i + 1 < argc)
            png = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else {
            fprintf(stderr, "usage: bench_overhead [--max N] [--reps N] [--warmup N] [--png FILE] "
                            "[--json]\n");
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
    for (int r = 0; r < rows; r++) {
        t[0][r] = t[1][r] = t[2][r] = 1e30;
        for (int rep = 0; rep < reps; rep++) {
            for (long i = 0; i < warmup; i++)
                if (rune_call_() != 0) return 1;
            double t0 = now_s();
            for (long i = 0; i < ns[r]; i++)
                if (rune_call_() != 0) return 1;
            double dt = now_s() - t0;
            if (dt < t[0][r]) t[0][r] = dt;
            for (int e = 0; e < 2; e++) {
                for (long i = 0; i < warmup; i++)
                    if (rune_host_call(hosts[e], &err) != RUNE_OK) {
                        fprintf(stderr, "bench_overhead: %s\n", err.msg);
                        return 1;
                    }
                t0 = now_s();
                for (long i = 0; i < ns[r]; i++)
                    if (rune_host_call(hosts[e], &err) != RUNE_OK) {
                        fprintf(stderr, "bench_overhead: %s\n", err.msg);
                        return 1;
                    }
                dt = now_s() - t0;
                if (dt < t[1 + e][r]) t[1 + e][r] = dt;
            }
        }
    }
    /* Guest work per inference: the interpreter's fuel (about one unit per wasm instruction) spent
     * by one _call. */
    rune_wasm_instance *inst = rune_host_instance(hosts[0]);
    const uint64_t tank = (uint64_t)1 << 40;
    rune_wasm_set_fuel(inst, tank);
    if (rune_host_call(hosts[0], &err) != RUNE_OK) {
        fprintf(stderr, "bench_overhead: %s\n", err.msg);
        return 1;
    }
    const uint64_t fuel = tank - rune_wasm_fuel_left(inst);
    rune_wasm_set_fuel(inst, 0);
    for (int e = 0; e < 2; e++) {
        rune_host_free(hosts[e]);
        rune_cap_provider_free(prov[e]);
    }
    native_host_reset();

    if (json) {
        printf("[");
        for (int r = 0; r < rows; r++)
            printf("%s{\"inferences\":%ld,\"native_s\":%.6f,\"interp_s\":%.6f,\"aot_s\":%.6f,"
                   "\"interp_overhead\":%.4f,\"aot_overhead\":%.4f,\"guest_fuel_per_call\":%llu}",
                   r ? "," : "", ns[r], t[0][r], t[1][r], t[2][r], (t[1][r] - t[0][r]) / t[0][r],
                   (t[2][r] - t[0][r]) / t[0][r], (unsigned long long)fuel);
        printf("]\n");
    } else {
        printf("sine pipeline: rune vs native (same model engine and proc blocks)\n");
        printf("%12s %12s %12s %12s %10s %10s\n", "inferences", "native s", "interp s", "aot s",
               "interp", "aot");
        for (int r = 0; r < rows; r++)
            printf("%12ld %12.4f %12.4f %12.4f %9.1f%% %9.1f%%\n", ns[r], t[0][r], t[1][r], t[2][r],
                   100 * (t[1][r] - t[0][r]) / t[0][r], 100 * (t[2][r] - t[0][r]) / t[0][r]);
        printf("guest work: %llu fuel (about wasm instructions) per _call\n",
               (unsigned long long)fuel);
        printf("targets: aot < 5%%, interpreter < 25%% (the paper measured 28%% to 45%%)\n");
    }
    /* The plot, when gnuplot is there. */
    FILE *dat = fopen("overhead.dat", "w");
    if (dat) {
        for (int r = 0; r < rows; r++)
            fprintf(dat, "%ld %f %f\n", ns[r], 100 * (t[1][r] - t[0][r]) / t[0][r],
                    100 * (t[2][r] - t[0][r]) / t[0][r]);
        fclose(dat);
        char cmd[1024];
        snprintf(
            cmd, sizeof cmd,
            "gnuplot -e \"set terminal png size 800,480; set output '%s'; set logscale x; "
            "set xlabel 'inferences'; set ylabel 'overhead vs native (%%)'; set key top right; "
            "set title 'Rune overhead, sine pipeline'; set grid; set yrange [0:60]; "
            "plot 'overhead.dat' using 1:2 with linespoints title 'interpreter', "
            "'' using 1:3 with linespoints title 'AOT (wasm2c)', 28 title 'paper min' dt 2, "
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

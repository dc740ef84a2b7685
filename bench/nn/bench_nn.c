/*
 * bench_nn.c - model engine latency: each model of ../shared/models (and a float32 MobileNet made
 * by the writer, bench_models.c) loaded with the portable kernels and with the XNNPACK fast path,
 * run in the same process; median of N invokes after warm-up, GMAC/s from the model's MAC count,
 * and the fast path's speed as a ratio to the portable kernels measured in the same run.
 *
 *   bench_nn [runs]          default 40 (person-sized models), x10 for the small ones
 *
 * The "xnn-int8*" column runs int8 convolutions on XNNPACK although its rounding differs from
 * TFLite's (xnn_int.h): it shows what the inexact path would buy, it is not what the API does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rune/alloc.h"
#include "rune/nn.h"
#ifdef RUNE_NN_XNNPACK
#include "xnn/xnn_int.h"
#endif

rune_status bench_make_mobilenet_f32(uint8_t **bytes, size_t *len, rune_error *err);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct timing {
    double median_ms;
    int fast_ops, ops;
    uint64_t macs;
    int ok;
} timing;

/* Median latency of runs invokes of bytes loaded with opts. */
static timing run(const uint8_t *bytes, size_t len, const rune_nn_options *opts, int runs)
{
    timing t = {0};
    rune_error err = {0};
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms) return t;
    if (rune_nn_model_load_ex(bytes, len, opts, &m, &err) != RUNE_OK ||
        rune_nn_interp_create(m, NULL, 0, &it, &err) != RUNE_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        goto out;
    }
    for (int i = 0; i < rune_nn_model_input_count(m); i++) {
        size_t n = 0;
        uint8_t *p = rune_nn_interp_input_data(it, i, &n);
        for (size_t k = 0; p && k < n; k++)
            p[k] = (uint8_t)(k * 31 + 7);
    }
    t.ops = rune_nn_model_op_count(m);
    for (int i = 0; i < t.ops; i++) {
        rune_nn_op_info oi;
        if (rune_nn_model_op(m, i, &oi, NULL) == RUNE_OK) t.fast_ops += oi.fast;
    }
    t.macs = rune_nn_model_macs(m);
    for (int i = 0; i < 3; i++)
        rune_nn_interp_invoke(it, &err);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (rune_nn_interp_invoke(it, &err) != RUNE_OK) {
            fprintf(stderr, "bench_nn: invoke: %s\n", err.msg);
            goto out;
        }
        ms[i] = now_ms() - t0;
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    t.median_ms = ms[runs / 2];
    t.ok = 1;
out:
    free(ms);
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    return t;
}

static void row(const char *name, const uint8_t *bytes, size_t len, int runs)
{
    rune_nn_options portable = {0}, fast = {.fast_path = 1};
    timing p = run(bytes, len, &portable, runs);
    timing f = run(bytes, len, &fast, runs);
    if (!p.ok || !f.ok) {
        printf("%-30s  failed\n", name);
        return;
    }
    printf("%-30s %8.3fM %9.4f %9.2f %9.4f %9.2f %5d/%-3d %7.2fx", name, (double)p.macs / 1e6,
           p.median_ms, (double)p.macs / p.median_ms / 1e6, f.median_ms,
           (double)f.macs / f.median_ms / 1e6, f.fast_ops, f.ops, p.median_ms / f.median_ms);
#ifdef RUNE_NN_XNNPACK
    nn_xnn_int8 = 1;
    timing q = run(bytes, len, &fast, runs);
    nn_xnn_int8 = 0;
    if (q.ok && q.fast_ops > f.fast_ops)
        printf(" %9.4f ms (%d ops)", q.median_ms, q.fast_ops);
    else
        printf(" %9s", "-");
#endif
    printf("\n");
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 40;
    if (runs < 1) runs = 1;
    static const char *models[] = {"hello_world_float.tflite", "hello_world_int8.tflite",
                                   "micro_speech_quantized.tflite", "person_detect.tflite"};
#ifdef RUNE_NN_XNNPACK
    const char *xnn = "XNNPACK fast path built";
#else
    const char *xnn = "XNNPACK not built: fast = portable";
#endif
    printf("bench_nn: median of %d invokes (x10 for models under 1 M MACs); %s\n", runs, xnn);
    printf("%-30s %9s %9s %9s %9s %9s %9s %8s %12s\n", "model", "MACs", "port ms", "port GMAC/s",
           "fast ms", "fast GMAC/s", "fast ops", "speedup", "xnn-int8*");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/models/%s", RUNE_SHARED_DIR, models[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("%-30s  missing (%s)\n", models[i], path);
            continue;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *bytes = malloc(n > 0 ? (size_t)n : 1);
        size_t got = bytes ? fread(bytes, 1, (size_t)n, f) : 0;
        fclose(f);
        if (got == (size_t)n) {
            int small = strstr(models[i], "person") == NULL;
            row(models[i], bytes, (size_t)n, small ? runs * 10 : runs);
        }
        free(bytes);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    rune_error err = {0};
    if (bench_make_mobilenet_f32(&bytes, &len, &err) == RUNE_OK)
        row("mobilenet_f32 (writer)", bytes, len, runs);
    else
        printf("mobilenet_f32: %s\n", err.msg);
    rune_free(bytes);
    return 0;
}

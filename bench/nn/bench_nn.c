/*
 * bench_nn.c - model engine latency: each model of ../shared/models (and a float32 MobileNet made
 * by the writer, bench_models.c) loaded with the portable kernels and with the XNNPACK fast path,
 * run in the same process with their invokes interleaved (load on the machine falls on both
 * alike); median of N invokes after warm-up, GMAC/s from the model's MAC count,
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

/* One configuration under test: a loaded model and its interpreter. */
typedef struct config {
    rune_nn_model *m;
    rune_nn_interp *it;
    double *ms;
} config;

static int config_load(config *c, const uint8_t *bytes, size_t len, const rune_nn_options *opts,
                       int runs, timing *t)
{
    rune_error err = {0};
    memset(t, 0, sizeof *t);
    c->ms = calloc((size_t)runs, sizeof *c->ms);
    if (!c->ms) return 0;
    if (rune_nn_model_load_ex(bytes, len, opts, &c->m, &err) != RUNE_OK ||
        rune_nn_interp_create(c->m, NULL, 0, &c->it, &err) != RUNE_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 0;
    }
    for (int i = 0; i < rune_nn_model_input_count(c->m); i++) {
        size_t n = 0;
        uint8_t *p = rune_nn_interp_input_data(c->it, i, &n);
        for (size_t k = 0; p && k < n; k++)
            p[k] = (uint8_t)(k * 31 + 7);
    }
    t->ops = rune_nn_model_op_count(c->m);
    for (int i = 0; i < t->ops; i++) {
        rune_nn_op_info oi;
        if (rune_nn_model_op(c->m, i, &oi, NULL) == RUNE_OK) t->fast_ops += oi.fast;
    }
    t->macs = rune_nn_model_macs(c->m);
    for (int i = 0; i < 3; i++)
        rune_nn_interp_invoke(c->it, &err);
    return 1;
}

static void config_free(config *c)
{
    free(c->ms);
    rune_nn_interp_free(c->it);
    rune_nn_model_free(c->m);
}

/* Invoke the n configurations in turn, runs rounds, so machine load falls on all of them alike;
 * median per configuration. */
static void measure(config *c, timing *t, int n, int runs)
{
    rune_error err = {0};
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < n; k++) {
            if (!t[k].ok) continue;
            double t0 = now_ms();
            if (rune_nn_interp_invoke(c[k].it, &err) != RUNE_OK) {
                fprintf(stderr, "bench_nn: invoke: %s\n", err.msg);
                t[k].ok = 0;
            }
            c[k].ms[r] = now_ms() - t0;
        }
    for (int k = 0; k < n; k++) {
        if (!t[k].ok) continue;
        qsort(c[k].ms, (size_t)runs, sizeof *c[k].ms, cmp_double);
        t[k].median_ms = c[k].ms[runs / 2];
    }
}

static void row(const char *name, const uint8_t *bytes, size_t len, int runs)
{
    rune_nn_options portable = {0}, fast = {.fast_path = 1};
    config c[3];
    timing t[3];
    int n = 2;
    memset(c, 0, sizeof c);
    t[0].ok = config_load(&c[0], bytes, len, &portable, runs, &t[0]);
    t[1].ok = config_load(&c[1], bytes, len, &fast, runs, &t[1]);
#ifdef RUNE_NN_XNNPACK
    nn_xnn_int8 = 1;
    t[2].ok = config_load(&c[2], bytes, len, &fast, runs, &t[2]);
    nn_xnn_int8 = 0;
    n = 3;
#endif
    measure(c, t, n, runs);
    timing *p = &t[0], *f = &t[1];
    if (!p->ok || !f->ok) {
        printf("%-30s  failed\n", name);
    } else {
        printf("%-30s %8.3fM %9.4f %9.2f %9.4f %9.2f %5d/%-3d %7.2fx", name, (double)p->macs / 1e6,
               p->median_ms, (double)p->macs / p->median_ms / 1e6, f->median_ms,
               (double)f->macs / f->median_ms / 1e6, f->fast_ops, f->ops,
               p->median_ms / f->median_ms);
        if (n == 3 && t[2].ok && t[2].fast_ops > f->fast_ops)
            printf(" %9.4f ms (%d ops)", t[2].median_ms, t[2].fast_ops);
        else
            printf(" %9s", "-");
        printf("\n");
    }
    for (int k = 0; k < n; k++)
        config_free(&c[k]);
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

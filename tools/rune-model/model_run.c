/*
 * model_run.c - `model-run FILE --input NAME_OR_INDEX=FILE.bin ... [--json] [--repeat N]
 * [--reference]`: one inference (or N, timed) on raw input bytes (int8 tensors as their bytes,
 * float32 little-endian), printing every output as JSON with raw and dequantized values. Every
 * input must be given, with exactly the tensor's byte size.
 */
#include "model_cmds.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rune/alloc.h"

#define MAX_INPUTS 64

static void usage(FILE *f, const char *cmd)
{
    fprintf(f,
            "usage: %s FILE.tflite --input NAME_OR_INDEX=FILE.bin ... [--json] [--repeat N]\n"
            "       [--reference]\n"
            "Runs one inference on raw input bytes (int8 as bytes, float32 little-endian) and\n"
            "prints the outputs as JSON: raw values and, for quantized outputs, dequantized.\n"
            "--repeat N runs N inferences and adds the median latency (\"median_ms\").\n"
            "--reference uses the plain reference kernels.\n",
            cmd);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_output(const rune_nn_tensor_info *t, const void *data)
{
    printf("{\"name\":");
    model_json_str(stdout, t->name);
    printf(",\"type\":\"%s\",\"shape\":", rune_nn_type_name(t->type));
    model_print_shape(stdout, t);
    int quant = t->n_channels >= 1 && t->type != RUNE_NN_FLOAT32;
    if (quant) printf(",\"scale\":%.9g,\"zero_point\":%d", (double)t->scale, (int)t->zero_point);
    printf(",\"values\":[");
    for (size_t i = 0; i < t->n_elems; i++) {
        double v = 0;
        switch (t->type) {
        case RUNE_NN_INT8: v = ((const int8_t *)data)[i]; break;
        case RUNE_NN_UINT8: v = ((const uint8_t *)data)[i]; break;
        case RUNE_NN_INT16: v = ((const int16_t *)data)[i]; break;
        case RUNE_NN_INT32: v = ((const int32_t *)data)[i]; break;
        case RUNE_NN_FLOAT32: v = ((const float *)data)[i]; break;
        default: break;
        }
        if (t->type == RUNE_NN_FLOAT32)
            printf("%s%.9g", i ? "," : "", v);
        else
            printf("%s%.0f", i ? "," : "", v);
    }
    printf("]");
    if (quant) {
        printf(",\"dequantized\":[");
        for (size_t i = 0; i < t->n_elems; i++) {
            double q = t->type == RUNE_NN_INT8    ? ((const int8_t *)data)[i]
                       : t->type == RUNE_NN_UINT8 ? ((const uint8_t *)data)[i]
                       : t->type == RUNE_NN_INT16 ? ((const int16_t *)data)[i]
                                                  : ((const int32_t *)data)[i];
            printf("%s%.9g", i ? "," : "", (q - t->zero_point) * (double)t->scale);
        }
        printf("]");
    }
    printf("}");
}

int rune_cmd_model_run(int argc, char **argv)
{
    const char *cmd = argc > 0 ? argv[0] : "model-run";
    const char *path = NULL, *specs[MAX_INPUTS];
    int n_specs = 0, repeat = 0, reference = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            /* JSON is the only output form; accepted for symmetry with model-info. */
        } else if (!strcmp(argv[i], "--reference")) {
            reference = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, cmd);
            return 0;
        } else if (!strcmp(argv[i], "--input") || !strcmp(argv[i], "-i")) {
            if (i + 1 >= argc || !strchr(argv[i + 1], '=') || n_specs == MAX_INPUTS) {
                fprintf(stderr, "%s: --input needs NAME_OR_INDEX=FILE\n", cmd);
                return 2;
            }
            specs[n_specs++] = argv[++i];
        } else if (!strcmp(argv[i], "--repeat")) {
            char *end;
            long n = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || n < 1 || n > 100000) {
                fprintf(stderr, "%s: --repeat needs a count from 1 to 100000\n", cmd);
                return 2;
            }
            repeat = (int)n;
            i++;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", cmd, argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr, cmd);
        return 2;
    }
    int rc = 1;
    size_t len = 0;
    unsigned char *bytes = model_read_file(cmd, path, &len), *data = NULL;
    /* Each input's bytes, set again before every run: the arena lends an input's memory to later
     * tensors once it has been read, so after a run it no longer holds the input. */
    unsigned char *in_data[MAX_INPUTS] = {0};
    size_t in_len[MAX_INPUTS] = {0};
    rune_nn_model *m = NULL;
    rune_nn_interp *it = NULL;
    rune_error err = {0};
    double *times = NULL;
    if (!bytes) goto out;
    rune_nn_options opts = {.reference = reference};
    if (rune_nn_model_load_ex(bytes, len, &opts, &m, &err) ||
        rune_nn_interp_create(m, NULL, 0, &it, &err)) {
        fprintf(stderr, "%s: %s: %s\n", cmd, path, err.msg);
        goto out;
    }
    int n_in = rune_nn_model_input_count(m);
    unsigned char given[MAX_INPUTS] = {0};
    for (int s = 0; s < n_specs; s++) {
        const char *eq = strchr(specs[s], '=');
        char key[256];
        size_t kl = (size_t)(eq - specs[s]);
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, specs[s], kl);
        key[kl] = 0;
        int idx = rune_nn_model_find_input(m, key);
        if (idx < 0) {
            char *end;
            long v = strtol(key, &end, 10);
            if (*key && !*end && v >= 0 && v < n_in) idx = (int)v;
        }
        if (idx < 0) {
            fprintf(stderr, "%s: the model has no input '%s' (%d inputs)\n", cmd, key, n_in);
            goto out;
        }
        size_t dlen = 0;
        data = model_read_file(cmd, eq + 1, &dlen);
        if (!data) goto out;
        if (rune_nn_interp_set_input(it, idx, data, dlen, &err)) {
            fprintf(stderr, "%s: %s: %s\n", cmd, eq + 1, err.msg);
            goto out;
        }
        if (idx < MAX_INPUTS) {
            rune_free(in_data[idx]);
            in_data[idx] = data;
            in_len[idx] = dlen;
            given[idx] = 1;
        } else {
            rune_free(data);
        }
        data = NULL;
    }
    for (int i = 0; i < n_in && i < MAX_INPUTS; i++)
        if (!given[i]) {
            rune_nn_tensor_info t;
            rune_nn_model_input(m, i, &t, NULL);
            fprintf(stderr, "%s: input %d (%s) not given (--input %s=FILE)\n", cmd, i, t.name,
                    t.name);
            goto out;
        }
    int runs = repeat ? repeat : 1;
    times = rune_calloc((size_t)runs, sizeof(double));
    if (!times) goto out;
    for (int r = 0; r < runs; r++) {
        for (int i = 0; r > 0 && i < n_in && i < MAX_INPUTS; i++)
            (void)rune_nn_interp_set_input(it, i, in_data[i], in_len[i], NULL); /* took it once */
        double t0 = now_ms();
        if (rune_nn_interp_invoke(it, &err)) {
            fprintf(stderr, "%s: %s\n", cmd, err.msg);
            goto out;
        }
        times[r] = now_ms() - t0;
    }
    printf("{\"outputs\":[");
    for (int i = 0; i < rune_nn_model_output_count(m); i++) {
        rune_nn_tensor_info t;
        const void *p;
        rune_nn_model_output(m, i, &t, NULL);
        rune_nn_interp_output(it, i, &p, NULL, NULL);
        if (i) printf(",");
        print_output(&t, p);
    }
    printf("]");
    if (repeat) {
        qsort(times, (size_t)runs, sizeof(double), cmp_double);
        printf(",\"runs\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,\"macs\":%llu", runs,
               times[runs / 2], times[0], (unsigned long long)rune_nn_model_macs(m));
    }
    printf("}\n");
    rc = 0;
out:
    rune_free(times);
    rune_free(data);
    for (int i = 0; i < MAX_INPUTS; i++)
        rune_free(in_data[i]);
    rune_nn_interp_free(it);
    rune_nn_model_free(m);
    rune_free(bytes);
    return rc;
}

/*
 * make_ops_seeds.c - writes one small model per nnops op (float32 and int8 variants) into a
 * directory, as fuzz seeds for fuzz/nn's fuzz_tflite so the fuzzer starts inside every kernel's
 * prepare and eval:   make_nn_ops_seeds DIR
 */
#include "ops_models.h"

static int write_file(void *ctx, const char *name, int int8, const uint8_t *bytes, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops_%s_%s.tflite", (const char *)ctx, name,
             int8 ? "int8" : "f32");
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(bytes, 1, len, f) != len;
    if (f) fclose(f);
    if (bad) fprintf(stderr, "cannot write %s\n", path);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_nn_ops_seeds DIR\n");
        return 2;
    }
    ops_models_out out = {write_file, argv[1]};
    return ops_models_make(&out, 0) | ops_models_make(&out, 1);
}

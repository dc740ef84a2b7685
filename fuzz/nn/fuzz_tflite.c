/*
 * fuzz_tflite.c - libFuzzer harness for the model engine: any bytes go through load (reader,
 * prepare, planner); a model that loads is run once on zeroed inputs when it is small enough
 * (arena and MACs capped so one input stays fast). Every failure must be a status, never a crash,
 * an over-read or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rune/nn.h"

#define MAX_INPUT (1 << 20)
#define MAX_ARENA (16u << 20)
#define MAX_MACS 20000000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) return 0;
    /* an exact-size copy so ASan catches any read past the end */
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes) return 0;
    memcpy(bytes, data, size);
    rune_nn_model *m = NULL;
    rune_error err;
    /* the last byte picks the kernel set and planner mode, so both twins and both plans are fuzzed
     */
    rune_nn_options opts = {.reference = size > 0 && (data[size - 1] & 1),
                            .keep_tensors = size > 0 && (data[size - 1] & 2)};
    if (rune_nn_model_load_ex(bytes, size, &opts, &m, &err) == RUNE_OK) {
        for (int i = 0; i < rune_nn_model_tensor_count(m); i++) {
            rune_nn_tensor_info t;
            rune_nn_model_tensor(m, i, &t, &err);
        }
        rune_nn_interp *it = NULL;
        if (rune_nn_model_arena_size(m) <= MAX_ARENA && rune_nn_model_macs(m) <= MAX_MACS &&
            rune_nn_interp_create(m, NULL, 0, &it, &err) == RUNE_OK) {
            rune_nn_interp_invoke(it, &err);
            for (int i = 0; i < rune_nn_model_output_count(m); i++) {
                const void *p;
                size_t n;
                rune_nn_interp_output(it, i, &p, &n, &err);
            }
        }
        rune_nn_interp_free(it);
    }
    rune_nn_model_free(m);
    int codes[8];
    rune_nn_unsupported_ops(bytes, size, codes, 8, &err);
    free(bytes);
    return 0;
}

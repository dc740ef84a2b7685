/*
 * normalize.c - "normalize" (runicos/normalize): f32 -> f32 scaled into [0, 1] by the tensor's
 * own minimum and maximum. Workload: a few thousand values per call; two passes, no state.
 */
#include <math.h>

#include "pb_int.h"

rune_status rune_pb_normalize_init(rune_pb_normalize *st, const rune_pb_arg *args, size_t nargs,
                                   rune_error *err)
{
    static const char *const known[] = {NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "normalize: no state");
    st->unused_ = 0;
    return rune_pb_args_check("normalize", args, nargs, known, err);
}

rune_status rune_pb_normalize_transform(rune_pb_normalize *st, const rune_tensor *in,
                                        rune_tensor *out, rune_error *err)
{
    size_t n = 0;
    (void)st;
    PB_TRY(pb_input("normalize", in, &n, err));
    PB_TRY(rune_tensor_expect(in, RUNE_ELEM_F32, "normalize input", err));
    const float *x = (const float *)in->data;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return RUNE_ERR(err, RUNE_E_ARG, "normalize: input %zu is NaN", i);
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    uint32_t dims[RUNE_ABI_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    PB_TRY(pb_output("normalize", out, RUNE_ELEM_F32, in->rank, dims, err));
    float *y = (float *)out->data;
    const float range = hi - lo;
    for (size_t i = 0; i < n; i++)
        y[i] = (range > 0 && isfinite(range)) ? (x[i] - lo) / range : 0.0f;
    return RUNE_OK;
}

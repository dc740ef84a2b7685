/*
 * softmax.c - "softmax": logits -> probabilities (f32) summing to 1. f32 input, or i8/u8 logits
 * dequantized first as (q - zero_point) * scale. Subtracts the maximum before exponentiating so
 * large logits do not overflow. Workload: a handful of classes per call.
 */
#include <math.h>
#include <string.h>

#include "pb_int.h"

rune_status rune_pb_softmax_init(rune_pb_softmax *st, const rune_pb_arg *args, size_t nargs,
                                 rune_error *err)
{
    static const char *const known[] = {"scale", "zero_point", NULL};
    double scale;
    long zp;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "softmax: no state");
    PB_TRY(rune_pb_args_check("softmax", args, nargs, known, err));
    PB_TRY(rune_pb_arg_float("softmax", args, nargs, "scale", 1.0, 1e-12, 1e12, &scale, err));
    PB_TRY(rune_pb_arg_int("softmax", args, nargs, "zero_point", 0, -128, 255, &zp, err));
    st->scale = (float)scale;
    st->zero_point = (int32_t)zp;
    return RUNE_OK;
}

rune_status rune_pb_softmax_transform(rune_pb_softmax *st, const rune_tensor *in, rune_tensor *out,
                                      rune_error *err)
{
    size_t n = 0;
    if (!st || !(st->scale > 0)) return RUNE_ERR(err, RUNE_E_ARG, "softmax: not initialized");
    PB_TRY(pb_input("softmax", in, &n, err));
    if (in->elem != RUNE_ELEM_F32 && in->elem != RUNE_ELEM_I8 && in->elem != RUNE_ELEM_U8)
        return RUNE_ERR(err, RUNE_E_ARG, "softmax: expected f32, i8 or u8 elements, got %s",
                        rune_abi_elem_name(in->elem));
    const int quant = in->elem != RUNE_ELEM_F32;
    double maxv = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = pb_get(in, i);
        if (quant) v = (v - st->zero_point) * st->scale;
        if (isnan(v)) return RUNE_ERR(err, RUNE_E_ARG, "softmax: input %zu is NaN", i);
        if (v > maxv) maxv = v;
    }
    if (!isfinite(maxv)) return RUNE_ERR(err, RUNE_E_ARG, "softmax: input has an infinite logit");
    /* Keep the input readable: out may alias in only when both are f32. */
    rune_tensor src = *in;
    uint32_t dims[RUNE_ABI_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    PB_TRY(pb_output("softmax", out, RUNE_ELEM_F32, in->rank, dims, err));
    float *y = (float *)out->data;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double v = pb_get(&src, i);
        if (quant) v = (v - st->zero_point) * st->scale;
        double e = exp(v - maxv);
        y[i] = (float)e;
        sum += e;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(y[i] / sum);
    return RUNE_OK;
}

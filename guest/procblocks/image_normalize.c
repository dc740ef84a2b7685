/*
 * image_normalize.c - "image_normalize": u8 pixels -> model input. r = (p - mean) / std, then
 * either f32 r, or r quantized for an int8/uint8 model input as q = round(r / scale) + zero_point,
 * clamped to the type. Workload: one image per call (96x96 for person_detect), one pass.
 */
#include <math.h>
#include <string.h>

#include "pb_int.h"

rune_status rune_pb_image_normalize_init(rune_pb_image_normalize *st, const rune_pb_arg *args,
                                         size_t nargs, rune_error *err)
{
    static const char B[] = "image_normalize";
    static const char *const known[] = {"mean", "std", "scale", "zero_point", "output", NULL};
    double mean, sd, scale;
    long zp;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "%s: no state", B);
    PB_TRY(rune_pb_args_check(B, args, nargs, known, err));
    PB_TRY(rune_pb_arg_float(B, args, nargs, "mean", 0.0, -1e6, 1e6, &mean, err));
    PB_TRY(rune_pb_arg_float(B, args, nargs, "std", 1.0, 1e-9, 1e9, &sd, err));
    PB_TRY(rune_pb_arg_float(B, args, nargs, "scale", 1.0, 1e-12, 1e12, &scale, err));
    const char *o = rune_pb_arg_get(args, nargs, "output");
    int32_t elem = RUNE_ELEM_I8;
    if (o && strcmp(o, "u8") == 0)
        elem = RUNE_ELEM_U8;
    else if (o && strcmp(o, "f32") == 0)
        elem = RUNE_ELEM_F32;
    else if (o && strcmp(o, "i8") != 0)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: argument output=\"%s\" is not one of i8, u8, f32", B,
                        o);
    long zmin = elem == RUNE_ELEM_U8 ? 0 : -128, zmax = elem == RUNE_ELEM_U8 ? 255 : 127;
    PB_TRY(rune_pb_arg_int(B, args, nargs, "zero_point", 0, zmin, zmax, &zp, err));
    st->mean = (float)mean;
    st->std = (float)sd;
    st->scale = (float)scale;
    st->zero_point = (int32_t)zp;
    st->output = elem;
    return RUNE_OK;
}

rune_status rune_pb_image_normalize_transform(rune_pb_image_normalize *st, const rune_tensor *in,
                                              rune_tensor *out, rune_error *err)
{
    size_t n = 0;
    if (!st || st->std == 0) return RUNE_ERR(err, RUNE_E_ARG, "image_normalize: not initialized");
    PB_TRY(pb_input("image_normalize", in, &n, err));
    PB_TRY(rune_tensor_expect(in, RUNE_ELEM_U8, "image_normalize input", err));
    uint32_t dims[RUNE_ABI_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    const uint8_t *p = (const uint8_t *)in->data;
    PB_TRY(pb_output("image_normalize", out, st->output, in->rank, dims, err));
    const int lo = st->output == RUNE_ELEM_U8 ? 0 : -128,
              hi = st->output == RUNE_ELEM_U8 ? 255 : 127;
    for (size_t i = 0; i < n; i++) {
        const float r = ((float)p[i] - st->mean) / st->std;
        if (st->output == RUNE_ELEM_F32) {
            ((float *)out->data)[i] = r;
            continue;
        }
        float v = r / st->scale; /* clamp first: lroundf of a huge value is unspecified */
        if (!(v > -1e6f)) v = -1e6f;
        if (v > 1e6f) v = 1e6f;
        long q = lroundf(v) + st->zero_point;
        if (q < lo) q = lo;
        if (q > hi) q = hi;
        if (st->output == RUNE_ELEM_I8)
            ((int8_t *)out->data)[i] = (int8_t)q;
        else
            ((uint8_t *)out->data)[i] = (uint8_t)q;
    }
    return RUNE_OK;
}

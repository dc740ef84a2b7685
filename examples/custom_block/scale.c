/*
 * scale.c - a custom proc block: y = x * factor, elementwise over f32 (factor from the Runefile's
 * --factor argument, default 2*pi). A custom block is a C file named in the Runefile; it defines
 * STEM_init(args, nargs, err) and STEM_transform(in, out, err), STEM being the file name without .c,
 * and is compiled into the rune with the guest SDK (rune_procblocks.h, rune_tensor.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rune_procblocks.h"

static float factor = 6.2831853f;

rune_status scale_init(const rune_pb_arg *args, size_t nargs, rune_error *err)
{
    static const char *const known[] = {"factor", NULL};
    rune_status st = rune_pb_args_check("scale", args, nargs, known, err);
    if (st != RUNE_OK) return st;
    double f;
    st = rune_pb_arg_float("scale", args, nargs, "factor", 6.2831853, -1e6, 1e6, &f, err);
    if (st != RUNE_OK) return st;
    factor = (float)f;
    return RUNE_OK;
}

rune_status scale_transform(const rune_tensor *in, rune_tensor *out, rune_error *err)
{
    rune_status st = rune_tensor_expect(in, RUNE_ELEM_F32, "scale input", err);
    if (st != RUNE_OK) return st;
    if (out->len < in->len) return RUNE_ERR(err, RUNE_E_LIMIT, "scale: output buffer too small");
    const float *x = in->data;
    float *y = out->data;
    for (size_t i = 0; i < in->len / sizeof(float); i++) y[i] = x[i] * factor;
    out->elem = RUNE_ELEM_F32;
    out->rank = in->rank;
    memcpy(out->dims, in->dims, sizeof out->dims);
    out->len = in->len;
    return RUNE_OK;
}

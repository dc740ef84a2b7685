/*
 * modulo.c - "modulo": f32 or i32 -> same, x mod modulus with the result's sign following the
 * (positive) modulus, so angles and phases wrap into [0, modulus). Workload: elementwise.
 */
#include <math.h>
#include <string.h>

#include "pb_int.h"

rune_status rune_pb_modulo_init(rune_pb_modulo *st, const rune_pb_arg *args, size_t nargs,
                                rune_error *err)
{
    static const char *const known[] = {"modulus", NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "modulo: no state");
    PB_TRY(rune_pb_args_check("modulo", args, nargs, known, err));
    if (!rune_pb_arg_get(args, nargs, "modulus"))
        return RUNE_ERR(err, RUNE_E_ARG, "modulo: argument modulus is required");
    PB_TRY(
        rune_pb_arg_float("modulo", args, nargs, "modulus", 1.0, 1e-30, 1e30, &st->modulus, err));
    return RUNE_OK;
}

rune_status rune_pb_modulo_transform(rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                                     rune_error *err)
{
    size_t n = 0;
    if (!st || !(st->modulus > 0)) return RUNE_ERR(err, RUNE_E_ARG, "modulo: not initialized");
    PB_TRY(pb_input("modulo", in, &n, err));
    if (in->elem != RUNE_ELEM_F32 && in->elem != RUNE_ELEM_I32)
        return RUNE_ERR(err, RUNE_E_ARG, "modulo: expected f32 or i32 elements, got %s",
                        rune_abi_elem_name(in->elem));
    if (in->elem == RUNE_ELEM_I32 &&
        (st->modulus != floor(st->modulus) || st->modulus > 2147483647.0))
        return RUNE_ERR(err, RUNE_E_ARG,
                        "modulo: i32 input needs an integer modulus up to 2147483647, not %g",
                        st->modulus);
    uint32_t dims[RUNE_ABI_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    const void *x = in->data;
    PB_TRY(pb_output("modulo", out, in->elem, in->rank, dims, err));
    for (size_t i = 0; i < n; i++) {
        if (out->elem == RUNE_ELEM_F32) {
            const float m = (float)st->modulus;
            float r = fmodf(((const float *)x)[i], m);
            if (r < 0) r += m;
            ((float *)out->data)[i] = r;
        } else {
            const int64_t m = (int64_t)st->modulus;
            int64_t r = (int64_t)((const int32_t *)x)[i] % m;
            if (r < 0) r += m;
            ((int32_t *)out->data)[i] = (int32_t)r;
        }
    }
    return RUNE_OK;
}

/*
 * modulo.c - "modulo": f32 or i32 -> same, x mod modulus with the result's sign following the
 * (positive) modulus, so angles and phases wrap into [0, modulus). Workload: elementwise, once per
 * inference; f32 values usually already in range (the sine example's RAND in [0, 1)). Plannable:
 * a pipeline with fixed tensors checks once (plan) and then only computes (run).
 */
#include <math.h>
#include <string.h>

#include "pb_int.h"

rune_status rune_pb_modulo_init(rune_pb_modulo *st, const rune_pb_arg *args, size_t nargs,
                                rune_error *err)
{
    static const char *const known[] = {"modulus", NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "modulo: no state");
    st->plan_n = 0;
    PB_TRY(rune_pb_args_check("modulo", args, nargs, known, err));
    if (!rune_pb_arg_get(args, nargs, "modulus"))
        return RUNE_ERR(err, RUNE_E_ARG, "modulo: argument modulus is required");
    PB_TRY(
        rune_pb_arg_float("modulo", args, nargs, "modulus", 1.0, 1e-30, 1e30, &st->modulus, err));
    return RUNE_OK;
}

/* The general case, out of line: clang turns fmodf into an instruction it may compute ahead of
 * the range test below (and then always pays for the library's long path) unless it sits in a
 * function of its own. */
__attribute__((noinline)) static float wrap_f32(float v, float m)
{
    float r = fmodf(v, m);
    return r < 0 ? r + m : r;
}

/* y = x mod m over n f32 values. */
static void mod_f32(const float *x, float *y, size_t n, float m)
{
    for (size_t i = 0; i < n; i++) {
        /* fmodf(v, m) is v itself for 0 <= v < m (exact, -0 included): skip the library's long
         * path for the common case of a value already in range. */
        const float v = x[i];
        y[i] = v >= 0 && v < m ? v : wrap_f32(v, m);
    }
}

/* What a transform checks, for in and out (in == out is fine: pb_output reads each dim before
 * writing it); on success out is described and *n is the element count. */
static rune_status check(const rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                         size_t *n, rune_error *err)
{
    if (!st || !(st->modulus > 0)) return RUNE_ERR(err, RUNE_E_ARG, "modulo: not initialized");
    PB_TRY(pb_input("modulo", in, n, err));
    if (in->elem != RUNE_ELEM_F32 && in->elem != RUNE_ELEM_I32)
        return RUNE_ERR(err, RUNE_E_ARG, "modulo: expected f32 or i32 elements, got %s",
                        rune_abi_elem_name(in->elem));
    if (in->elem == RUNE_ELEM_I32 &&
        (st->modulus != floor(st->modulus) || st->modulus > 2147483647.0))
        return RUNE_ERR(err, RUNE_E_ARG,
                        "modulo: i32 input needs an integer modulus up to 2147483647, not %g",
                        st->modulus);
    return pb_output("modulo", out, in->elem, in->rank, in->dims, err);
}

/* y = x mod m over n values of type elem (f32 or i32). */
static void compute(const rune_pb_modulo *st, int32_t elem, const void *x, void *y, size_t n)
{
    if (elem == RUNE_ELEM_F32) {
        mod_f32(x, y, n, (float)st->modulus);
        return;
    }
    const int64_t m = (int64_t)st->modulus;
    const int32_t *xi = x;
    int32_t *yi = y;
    for (size_t i = 0; i < n; i++) {
        int64_t r = (int64_t)xi[i] % m;
        if (r < 0) r += m;
        yi[i] = (int32_t)r;
    }
}

/* Every case, with the checks that say what is wrong; out of line, so the usual case below runs
 * without this one's stack frame and locals. */
__attribute__((noinline)) static rune_status transform_checked(const rune_pb_modulo *st,
                                                               const rune_tensor *in,
                                                               rune_tensor *out, rune_error *err)
{
    size_t n = 0;
    const void *x = in ? in->data : NULL; /* before out (maybe in) is described */
    PB_TRY(check(st, in, out, &n, err));
    compute(st, out->elem, x, out->data, n);
    return RUNE_OK;
}

rune_status rune_pb_modulo_plan(rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                                rune_error *err)
{
    size_t n = 0;
    if (st) st->plan_n = 0;
    PB_TRY(check(st, in, out, &n, err));
    st->plan_n = n;
    st->plan_elem = out->elem;
    return RUNE_OK;
}

void rune_pb_modulo_run(const rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out)
{
    compute(st, st->plan_elem, in->data, out->data, st->plan_n);
}

rune_status rune_pb_modulo_transform(rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                                     rune_error *err)
{
    size_t n = 0;
    if (!st || !(st->modulus > 0) || !pb_elementwise_ok(in, RUNE_ELEM_F32, out, &n))
        return transform_checked(st, in, out, err);
    /* The usual case, checked in one go: f32 in, room out. */
    mod_f32(in->data, out->data, n, (float)st->modulus);
    pb_describe(out, RUNE_ELEM_F32, in->rank, in->dims, in->len);
    return RUNE_OK;
}

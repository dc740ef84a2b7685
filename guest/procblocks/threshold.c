/*
 * threshold.c - "binary_classification" (one score against a threshold) and "threshold" (the
 * object filter: indices of every score at or above a threshold, best first, at most max).
 * Workload: a few to a few thousand scores per call.
 */
#include <math.h>

#include "pb_int.h"

rune_status rune_pb_binary_classification_init(rune_pb_binary_classification *st,
                                               const rune_pb_arg *args, size_t nargs,
                                               rune_error *err)
{
    static const char *const known[] = {"threshold", NULL};
    double t;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "binary_classification: no state");
    PB_TRY(rune_pb_args_check("binary_classification", args, nargs, known, err));
    PB_TRY(rune_pb_arg_float("binary_classification", args, nargs, "threshold", 0.5, -1e30, 1e30,
                             &t, err));
    st->threshold = (float)t;
    return RUNE_OK;
}

rune_status rune_pb_binary_classification_transform(rune_pb_binary_classification *st,
                                                    const rune_tensor *in, rune_tensor *out,
                                                    rune_error *err)
{
    size_t n = 0;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "binary_classification: no state");
    PB_TRY(pb_input("binary_classification", in, &n, err));
    PB_TRY(rune_tensor_expect(in, RUNE_ELEM_F32, "binary_classification input", err));
    const float x = ((const float *)in->data)[0];
    const uint32_t one = 1;
    PB_TRY(pb_output("binary_classification", out, RUNE_ELEM_U32, 1, &one, err));
    ((uint32_t *)out->data)[0] = x > st->threshold ? 1u : 0u;
    return RUNE_OK;
}

rune_status rune_pb_threshold_init(rune_pb_threshold *st, const rune_pb_arg *args, size_t nargs,
                                   rune_error *err)
{
    static const char *const known[] = {"threshold", "max", NULL};
    double t;
    long max;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "threshold: no state");
    PB_TRY(rune_pb_args_check("threshold", args, nargs, known, err));
    PB_TRY(rune_pb_arg_float("threshold", args, nargs, "threshold", 0.5, -1e30, 1e30, &t, err));
    PB_TRY(rune_pb_arg_int("threshold", args, nargs, "max", 0, 0, 1 << 20, &max, err));
    st->threshold = (float)t;
    st->max = (uint32_t)max; /* 0 = no limit */
    return RUNE_OK;
}

rune_status rune_pb_threshold_transform(rune_pb_threshold *st, const rune_tensor *in,
                                        rune_tensor *out, rune_error *err)
{
    size_t n = 0;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "threshold: no state");
    PB_TRY(pb_input("threshold", in, &n, err));
    PB_TRY(rune_tensor_expect(in, RUNE_ELEM_F32, "threshold input", err));
    if (!out || (out->data == in->data && n))
        return RUNE_ERR(err, RUNE_E_ARG, "threshold: output must be its own buffer");
    const float *x = (const float *)in->data;
    const size_t limit = st->max ? st->max : n;
    const size_t cap = out->data ? out->len / 4 : 0;
    uint32_t *y = (uint32_t *)out->data;
    size_t k = 0;
    /* Insertion into the sorted output: best first, ties by lower index. */
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] >= st->threshold)) continue;
        size_t pos = k;
        while (pos > 0 && x[y[pos - 1]] < x[i])
            pos--;
        if (pos >= limit) continue;
        if (k < limit) {
            if (k >= cap)
                return RUNE_ERR(err, RUNE_E_LIMIT, "threshold: output holds %zu indices, more pass",
                                cap);
            k++;
        }
        for (size_t j = k - 1; j > pos; j--)
            y[j] = y[j - 1];
        y[pos] = (uint32_t)i;
    }
    out->elem = RUNE_ELEM_U32;
    out->rank = 1;
    memset(out->dims, 0, sizeof out->dims);
    out->dims[0] = (uint32_t)k;
    out->len = k * 4;
    return RUNE_OK;
}

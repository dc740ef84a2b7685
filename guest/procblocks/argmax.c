/*
 * argmax.c - "argmax" and "most_confident_indices": which classes scored highest.
 *
 * Workload: a handful to a few hundred scores per call. most_confident_indices is a partial
 * selection (count passes over the scores), fine for the small counts Runefiles ask for; ties keep
 * the lower index first, NaN never wins.
 */
#include <math.h>

#include "pb_int.h"

rune_status rune_pb_argmax_init(rune_pb_argmax *st, const rune_pb_arg *args, size_t nargs,
                                rune_error *err)
{
    static const char *const known[] = {NULL};
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "argmax: no state");
    st->unused_ = 0;
    return rune_pb_args_check("argmax", args, nargs, known, err);
}

/* Index of the largest value not already taken (taken may be NULL), or n if none. */
static size_t best_index(const rune_tensor *in, size_t n, const uint8_t *taken)
{
    size_t best = n;
    double bv = 0;
    for (size_t i = 0; i < n; i++) {
        if (taken && taken[i]) continue;
        double v = pb_get(in, i);
        if (isnan(v)) continue;
        if (best == n || v > bv) {
            best = i;
            bv = v;
        }
    }
    if (best == n) /* all NaN: take the first free slot so the output stays well-defined */
        for (size_t i = 0; i < n && best == n; i++)
            if (!taken || !taken[i]) best = i;
    return best;
}

rune_status rune_pb_argmax_transform(rune_pb_argmax *st, const rune_tensor *in, rune_tensor *out,
                                     rune_error *err)
{
    size_t n = 0;
    (void)st;
    PB_TRY(pb_input("argmax", in, &n, err));
    const uint32_t idx = (uint32_t)best_index(in, n, NULL);
    const uint32_t one = 1;
    PB_TRY(pb_output("argmax", out, RUNE_ELEM_U32, 1, &one, err));
    ((uint32_t *)out->data)[0] = idx;
    return RUNE_OK;
}

rune_status rune_pb_most_confident_indices_init(rune_pb_most_confident_indices *st,
                                                const rune_pb_arg *args, size_t nargs,
                                                rune_error *err)
{
    static const char *const known[] = {"count", NULL};
    long count;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "most_confident_indices: no state");
    PB_TRY(rune_pb_args_check("most_confident_indices", args, nargs, known, err));
    PB_TRY(rune_pb_arg_int("most_confident_indices", args, nargs, "count", 1, 1,
                           RUNE_PB_MAX_INDICES, &count, err));
    st->count = (uint32_t)count;
    return RUNE_OK;
}

rune_status rune_pb_most_confident_indices_transform(rune_pb_most_confident_indices *st,
                                                     const rune_tensor *in, rune_tensor *out,
                                                     rune_error *err)
{
    size_t n = 0;
    uint8_t taken[4096];
    uint32_t idx[RUNE_PB_MAX_INDICES];
    if (!st || st->count == 0)
        return RUNE_ERR(err, RUNE_E_ARG, "most_confident_indices: not initialized");
    PB_TRY(pb_input("most_confident_indices", in, &n, err));
    if (st->count > n)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "most_confident_indices: count=%u but the input has only %zu elements",
                        (unsigned)st->count, n);
    if (n > sizeof taken)
        return RUNE_ERR(err, RUNE_E_LIMIT, "most_confident_indices: %zu elements, at most %zu", n,
                        sizeof taken);
    memset(taken, 0, n);
    for (uint32_t k = 0; k < st->count; k++) {
        size_t b = best_index(in, n, taken);
        taken[b] = 1;
        idx[k] = (uint32_t)b;
    }
    const uint32_t dim = st->count;
    PB_TRY(pb_output("most_confident_indices", out, RUNE_ELEM_U32, 1, &dim, err));
    memcpy(out->data, idx, dim * sizeof idx[0]);
    return RUNE_OK;
}

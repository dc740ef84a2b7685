/*
 * ops_squeeze.c - SQUEEZE: drop size-1 dims (the listed squeeze_dims, or all when none are
 * listed). Any element type; the data is copied unchanged.
 */
#include "ops_int.h"

enum { SQUEEZE_OPTIONS = 30 };

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    (void)m;
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    if ((st = nnops_check_opts(op, SQUEEZE_OPTIONS, err)) != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_move(in, out, err)) != RUNE_OK) return st;
    int drop[RUNE_NN_MAX_DIMS] = {0};
    nn_fb_vec v;
    int has = nn_fb_vec_field(&op->opts, 0, 4, &v);
    if (has < 0) return RUNE_ERR(err, RUNE_E_MALFORMED, "squeeze_dims: %s", op->opts.fb->what);
    if (has == 1 && v.n > 0) {
        if (v.n > (uint32_t)in->ndims)
            return RUNE_ERR(err, RUNE_E_INVALID, "%u squeeze_dims for rank %d", v.n, in->ndims);
        for (uint32_t i = 0; i < v.n; i++) {
            int d = nn_fb_vec_i32(&v, i), d0 = d;
            if (d < 0) d += in->ndims;
            if (d < 0 || d >= in->ndims)
                return RUNE_ERR(err, RUNE_E_INVALID, "squeeze dim %d is out of range for rank %d",
                                d0, in->ndims);
            if (in->dims[d] != 1)
                return RUNE_ERR(err, RUNE_E_INVALID, "squeeze dim %d has size %d, not 1", d0,
                                (int)in->dims[d]);
            drop[d] = 1;
        }
    } else {
        for (int d = 0; d < in->ndims; d++)
            drop[d] = in->dims[d] == 1;
    }
    int32_t dims[RUNE_NN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < in->ndims; d++)
        if (!drop[d]) dims[nd++] = in->dims[d];
    return nnops_check_shape(out, "output 0", nd, dims, err);
}

const nn_kernel nn_kernel_squeeze = {prepare, nnops_copy_eval, nnops_copy_eval};

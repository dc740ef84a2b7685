/*
 * ops_expand_dims.c - EXPAND_DIMS: insert a size-1 dim at the (constant int32) axis, negative
 * counting from the end as in TFLite (axis in [-rank-1, rank]). Any element type; data copied.
 */
#include "ops_int.h"

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    (void)m;
    rune_status st = nn_check_io(g, op, 2, 2, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_move(in, out, err)) != RUNE_OK) return st;
    int32_t axis;
    int n = 0;
    if ((st = nnops_const_i32(nn_in(g, op, 1), "input 1 (axis)", 1, &axis, &n, err)) != RUNE_OK)
        return st;
    if (n != 1) return RUNE_ERR(err, RUNE_E_INVALID, "input 1 (axis) must hold one value");
    if (in->ndims >= RUNE_NN_MAX_DIMS)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "rank %d input cannot grow past %d dims",
                        in->ndims, RUNE_NN_MAX_DIMS);
    int a = axis < 0 ? axis + in->ndims + 1 : axis;
    if (a < 0 || a > in->ndims)
        return RUNE_ERR(err, RUNE_E_INVALID, "axis %d is out of range for rank %d", (int)axis,
                        in->ndims);
    int32_t dims[RUNE_NN_MAX_DIMS];
    for (int d = 0, j = 0; d <= in->ndims; d++)
        dims[d] = d == a ? 1 : in->dims[j++];
    return nnops_check_shape(out, "output 0", in->ndims + 1, dims, err);
}

const nn_kernel nn_kernel_expand_dims = {prepare, nnops_copy_eval, nnops_copy_eval};

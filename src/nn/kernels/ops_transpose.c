/*
 * ops_transpose.c - TRANSPOSE by a constant int32 permutation, up to RUNE_NN_MAX_DIMS dims (TFLite
 * allows 6), any element type of 1, 2, 4 or 8 bytes: out.dims[i] = in.dims[perm[i]].
 * Workload: layout changes between blocks of small models; one strided gather (nnops_gather).
 */
#include "ops_int.h"

typedef struct transpose_params {
    nnops_shape out;
    ptrdiff_t strides[NNOPS_DIMS];
} transpose_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 2, 2, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_move(in, out, err)) != RUNE_OK) return st;
    int32_t perm[RUNE_NN_MAX_DIMS];
    int n = 0;
    st = nnops_const_i32(nn_in(g, op, 1), "input 1 (perm)", RUNE_NN_MAX_DIMS, perm, &n, err);
    if (st != RUNE_OK) return st;
    if (n != in->ndims)
        return RUNE_ERR(err, RUNE_E_INVALID, "perm has %d entries for rank %d", n, in->ndims);
    int seen[RUNE_NN_MAX_DIMS] = {0};
    int32_t dims[RUNE_NN_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
            return RUNE_ERR(err, RUNE_E_INVALID, "perm is not a permutation of 0..%d", n - 1);
        seen[perm[i]] = 1;
        dims[i] = in->dims[perm[i]];
    }
    if ((st = nnops_check_shape(out, "output 0", n, dims, err)) != RUNE_OK) return st;
    transpose_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    nnops_shape ins;
    size_t in_strides[NNOPS_DIMS];
    nnops_pad_shape(in->ndims, in->dims, &ins);
    nnops_strides(&ins, in_strides);
    nnops_pad_shape(n, dims, &p->out);
    int lead = NNOPS_DIMS - n;
    for (int i = 0; i < NNOPS_DIMS; i++)
        p->strides[i] = i < lead ? 0 : (ptrdiff_t)in_strides[lead + perm[i - lead]];
    op->params = p;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const transpose_params *p = op->params;
    nnops_gather(nn_data(x, out), nn_data(x, in), nn_type_size(in->type), &p->out, p->strides, 0);
    return RUNE_OK;
}

const nn_kernel nn_kernel_transpose = {prepare, eval, eval};

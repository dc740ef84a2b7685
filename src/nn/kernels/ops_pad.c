/*
 * ops_pad.c - PAD with constant int32 paddings [rank, 2] (before, after per dim), up to
 * RUNE_NN_MAX_DIMS dims. float32 pads with 0; int8 pads with the output zero point (the real value
 * 0), as TFLite does, and needs the input's quantization on the output. Other element types pad
 * with zero bytes. Workload: explicit padding before convolutions; fill, then row copies.
 */
#include <string.h>

#include "ops_int.h"

typedef struct pad_params {
    nnops_shape in;
    size_t out_strides[NNOPS_DIMS];
    size_t base; /* output element where input element 0 goes */
} pad_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 2, 2, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0), *pt = nn_in(g, op, 1);
    if ((st = nnops_check_move(in, out, err)) != RUNE_OK) return st;
    int32_t pads[2 * RUNE_NN_MAX_DIMS];
    int n = 0;
    st = nnops_const_i32(pt, "input 1 (paddings)", 2 * RUNE_NN_MAX_DIMS, pads, &n, err);
    if (st != RUNE_OK) return st;
    if (n != 2 * in->ndims || pt->ndims != 2 || pt->dims[1] != 2)
        return RUNE_ERR(err, RUNE_E_INVALID, "paddings must have shape [%d,2]", in->ndims);
    int32_t dims[RUNE_NN_MAX_DIMS];
    for (int i = 0; i < in->ndims; i++) {
        if (pads[2 * i] < 0 || pads[2 * i + 1] < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "negative padding on dim %d", i);
        int64_t d = (int64_t)in->dims[i] + pads[2 * i] + pads[2 * i + 1];
        if (d > INT32_MAX) return RUNE_ERR(err, RUNE_E_INVALID, "padded dim %d is too big", i);
        dims[i] = (int32_t)d;
    }
    if ((st = nnops_check_shape(out, "output 0", in->ndims, dims, err)) != RUNE_OK) return st;
    pad_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    nnops_shape os;
    nnops_pad_shape(in->ndims, in->dims, &p->in);
    nnops_pad_shape(in->ndims, dims, &os);
    nnops_strides(&os, p->out_strides);
    int lead = NNOPS_DIMS - in->ndims;
    for (int i = 0; i < in->ndims; i++)
        p->base += (size_t)pads[2 * i] * p->out_strides[lead + i];
    op->params = p;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const pad_params *p = op->params;
    size_t es = nn_type_size(in->type);
    uint8_t *dst = nn_data(x, out);
    const uint8_t *src = nn_data(x, in);
    if (out->type == RUNE_NN_INT8)
        memset(dst, (uint8_t)(int8_t)out->zero_point, out->bytes);
    else
        memset(dst, 0, out->bytes); /* 0.0f is all zero bits */
    if (in->n_elems == 0) return RUNE_OK;
    const int32_t *d = p->in.d;
    const size_t *os = p->out_strides;
    size_t row = (size_t)d[5] * es;
    for (int32_t i0 = 0; i0 < d[0]; i0++)
        for (int32_t i1 = 0; i1 < d[1]; i1++)
            for (int32_t i2 = 0; i2 < d[2]; i2++)
                for (int32_t i3 = 0; i3 < d[3]; i3++)
                    for (int32_t i4 = 0; i4 < d[4]; i4++) {
                        size_t o = p->base + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] +
                                   i4 * os[4];
                        memcpy(dst + o * es, src, row);
                        src += row;
                    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_pad = {prepare, eval, eval};

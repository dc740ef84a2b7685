/*
 * ops_mean.c - MEAN over constant int32 axes (negative from the end, repeats ignored), keep_dims,
 * float32 and int8.
 *
 * Sums run over the input in row-major order into one accumulator per output element (float32: in
 * float, as TFLite's reference; int8: int32 in arena scratch). int8 then follows TFLite's
 * QuantizedMeanOrSum: mean = (float)sum / (float)count; q = clamp(round(mean * s + b) + zo) with
 * s = si / so and b = -zi * s in float. (When input and output share a quantization, TFLite takes a
 * shortcut that truncates the integer mean instead of rounding it; results may differ by 1 there.)
 * Workload: global average pooling and feature reductions; one pass plus one over the outputs.
 */
#include <math.h>
#include <string.h>

#include "ops_int.h"

enum { REDUCER_OPTIONS = 27 };

typedef struct mean_params {
    nnops_shape in;
    size_t out_strides[NNOPS_DIMS]; /* 0 on reduced dims */
    size_t count;                   /* input elements per output element */
    float scale, bias;
} mean_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 2, 2, 1, err);
    if (st != RUNE_OK) return st;
    if ((st = nnops_check_opts(op, REDUCER_OPTIONS, err)) != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_f32_or_i8(in, out, err)) != RUNE_OK) return st;
    int32_t axes[RUNE_NN_MAX_DIMS];
    int n = 0;
    st = nnops_const_i32(nn_in(g, op, 1), "input 1 (axes)", RUNE_NN_MAX_DIMS, axes, &n, err);
    if (st != RUNE_OK) return st;
    int keep = nn_fb_u8(&op->opts, 0, 0) != 0;
    int reduce[RUNE_NN_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        int a = axes[i] < 0 ? axes[i] + in->ndims : axes[i];
        if (a < 0 || a >= in->ndims)
            return RUNE_ERR(err, RUNE_E_INVALID, "axis %d is out of range for rank %d",
                            (int)axes[i], in->ndims);
        reduce[a] = 1;
    }
    int32_t kept[RUNE_NN_MAX_DIMS], dims[RUNE_NN_MAX_DIMS];
    int nd = 0;
    size_t count = 1;
    for (int i = 0; i < in->ndims; i++) {
        kept[i] = reduce[i] ? 1 : in->dims[i];
        if (reduce[i]) count *= (size_t)in->dims[i];
        if (!reduce[i] || keep) dims[nd++] = kept[i];
    }
    if ((st = nnops_check_shape(out, "output 0", nd, dims, err)) != RUNE_OK) return st;
    mean_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    nnops_shape ks;
    nnops_pad_shape(in->ndims, in->dims, &p->in);
    nnops_pad_shape(in->ndims, kept, &ks);
    nnops_strides(&ks, p->out_strides);
    int lead = NNOPS_DIMS - in->ndims;
    for (int i = 0; i < in->ndims; i++)
        if (reduce[i]) p->out_strides[lead + i] = 0;
    p->count = count;
    if (in->type == RUNE_NN_INT8) {
        p->scale = in->scale / out->scale;
        p->bias = -(float)in->zero_point * p->scale;
        op->scratch_bytes = out->n_elems * sizeof(int32_t);
    }
    op->params = p;
    op->macs = in->n_elems;
    return RUNE_OK;
}

#define MEAN_SUM(ACC, SRC)                                                                         \
    do {                                                                                           \
        const int32_t *d_ = p->in.d;                                                               \
        const size_t *s_ = p->out_strides;                                                         \
        size_t k_ = 0;                                                                             \
        for (int32_t i0 = 0; i0 < d_[0]; i0++)                                                     \
            for (int32_t i1 = 0; i1 < d_[1]; i1++)                                                 \
                for (int32_t i2 = 0; i2 < d_[2]; i2++)                                             \
                    for (int32_t i3 = 0; i3 < d_[3]; i3++)                                         \
                        for (int32_t i4 = 0; i4 < d_[4]; i4++) {                                   \
                            size_t o_ =                                                            \
                                i0 * s_[0] + i1 * s_[1] + i2 * s_[2] + i3 * s_[3] + i4 * s_[4];    \
                            for (int32_t i5 = 0; i5 < d_[5]; i5++)                                 \
                                ACC[o_ + i5 * s_[5]] += SRC[k_++];                                 \
                        }                                                                          \
    } while (0)

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const mean_params *p = op->params;
    size_t n_out = out->n_elems;
    if (in->type == RUNE_NN_FLOAT32) {
        const float *src = nn_data(x, in);
        float *acc = nn_data(x, out);
        memset(acc, 0, n_out * sizeof *acc);
        if (p->count == 0) return RUNE_OK;
        MEAN_SUM(acc, src);
        for (size_t i = 0; i < n_out; i++)
            acc[i] /= (float)p->count;
        return RUNE_OK;
    }
    const int8_t *src = nn_data(x, in);
    int8_t *dst = nn_data(x, out);
    int32_t *acc = nn_scratch(x, op);
    memset(acc, 0, n_out * sizeof *acc);
    if (p->count == 0) {
        memset(dst, (uint8_t)(int8_t)out->zero_point, n_out);
        return RUNE_OK;
    }
    MEAN_SUM(acc, src);
    for (size_t i = 0; i < n_out; i++) {
        float mean = (float)acc[i] / (float)p->count;
        int32_t q = nnops_f2i(roundf(mean * p->scale + p->bias), 0) + out->zero_point;
        dst[i] = (int8_t)nnops_clamp(q, -128, 127);
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_mean = {prepare, eval, eval};

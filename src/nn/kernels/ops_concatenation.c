/*
 * ops_concatenation.c - CONCATENATION along any axis (negative counts from the end), float32 and
 * int8, any number of inputs.
 *
 * int8 inputs whose quantization differs from the output's are requantized as TFLite's
 * ConcatenationWithScaling does: q = clamp(round(x * s + b) + zo) with s = si / so, b = -zi * s in
 * float; inputs with the output's quantization are copied. Workload: joining feature maps or
 * feature vectors, a few inputs; block copies of the contiguous runs after the axis.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops_int.h"

enum { CONCAT_OPTIONS = 10 };

typedef struct concat_in {
    size_t run; /* elements of this input per outer index */
    int same;   /* int8 with the output's quantization, or float: copy */
    float scale, bias;
} concat_in;

typedef struct concat_params {
    size_t outer;
    int n;
    concat_in in[];
} concat_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    if (op->n_inputs < 1) return RUNE_ERR(err, RUNE_E_INVALID, "needs at least one input");
    rune_status st = nn_check_io(g, op, op->n_inputs, op->n_inputs, 1, err);
    if (st != RUNE_OK) return st;
    if ((st = nnops_check_opts(op, CONCAT_OPTIONS, err)) != RUNE_OK) return st;
    nn_tensor *in0 = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_f32_or_i8(in0, out, err)) != RUNE_OK) return st;
    int axis = nn_fb_i32(&op->opts, 0, 0), act = nn_fb_i8(&op->opts, 1, NN_ACT_NONE);
    int rank = in0->ndims;
    if (act != NN_ACT_NONE)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "fused activation %d is not supported", act);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank)
        return RUNE_ERR(err, RUNE_E_INVALID, "axis %d is out of range for rank %d",
                        nn_fb_i32(&op->opts, 0, 0), rank);
    int32_t dims[RUNE_NN_MAX_DIMS];
    for (int i = 0; i < rank; i++)
        dims[i] = in0->dims[i];
    dims[axis] = 0;
    concat_params *p = nn_persist(m, sizeof *p + sizeof(concat_in) * (size_t)op->n_inputs);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->n = op->n_inputs;
    p->outer = 1;
    for (int i = 0; i < axis; i++)
        p->outer *= (size_t)in0->dims[i];
    for (int k = 0; k < op->n_inputs; k++) {
        nn_tensor *t = nn_in(g, op, k);
        char what[32];
        snprintf(what, sizeof what, "input %d", k);
        if ((st = nn_check_type(t, what, in0->type, err)) != RUNE_OK) return st;
        if (t->ndims != rank)
            return RUNE_ERR(err, RUNE_E_INVALID, "input %d has rank %d, input 0 has %d", k,
                            t->ndims, rank);
        for (int i = 0; i < rank; i++)
            if (i != axis && t->dims[i] != in0->dims[i]) {
                char a[96], b[96];
                return RUNE_ERR(err, RUNE_E_INVALID,
                                "input %d shape %s does not match input 0 shape %s off axis %d", k,
                                nnops_dims_str(t->ndims, t->dims, a, sizeof a),
                                nnops_dims_str(rank, in0->dims, b, sizeof b), axis);
            }
        if ((int64_t)dims[axis] + t->dims[axis] > INT32_MAX)
            return RUNE_ERR(err, RUNE_E_INVALID, "concatenated axis is too long");
        dims[axis] += t->dims[axis];
        concat_in *ci = &p->in[k];
        ci->run = 1;
        for (int i = axis; i < rank; i++)
            ci->run *= (size_t)t->dims[i];
        ci->same = 1;
        if (t->type == RUNE_NN_INT8) {
            if ((st = nn_check_quant(t, what, err)) != RUNE_OK) return st;
            if (t->q.n > 1)
                return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "%s is per-channel quantized", what);
            ci->same = t->scale == out->scale && t->zero_point == out->zero_point;
            ci->scale = t->scale / out->scale;
            ci->bias = -(float)t->zero_point * ci->scale;
        }
    }
    if ((st = nnops_check_shape(out, "output 0", rank, dims, err)) != RUNE_OK) return st;
    op->params = p;
    return RUNE_OK;
}

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const concat_params *p = op->params;
    const nn_tensor *out = nn_out(x->g, op, 0);
    size_t esize = nn_type_size(out->type);
    uint8_t *dst = nn_data(x, out);
    int32_t zo = out->zero_point;
    for (size_t o = 0; o < p->outer; o++)
        for (int k = 0; k < p->n; k++) {
            const concat_in *ci = &p->in[k];
            const uint8_t *src =
                (const uint8_t *)nn_data(x, nn_in(x->g, op, k)) + o * ci->run * esize;
            if (ci->same) {
                memcpy(dst, src, ci->run * esize);
            } else {
                const int8_t *s8 = (const int8_t *)src;
                int8_t *d8 = (int8_t *)dst;
                for (size_t i = 0; i < ci->run; i++) {
                    int32_t q = nnops_f2i(roundf(s8[i] * ci->scale + ci->bias), 0) + zo;
                    d8[i] = (int8_t)nnops_clamp(q, -128, 127);
                }
            }
            dst += ci->run * esize;
        }
    return RUNE_OK;
}

const nn_kernel nn_kernel_concatenation = {prepare, eval, eval};

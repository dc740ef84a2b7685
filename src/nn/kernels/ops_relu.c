/*
 * ops_relu.c - RELU (float32 and int8), and the arithmetic it shares with RELU6 (ops_relu6.c).
 *
 * int8 as TFLite's QuantizedReluX: out = clamp(zo + MBQM(x - zi, m, s), lo, hi) with (m, s) the
 * fixed-point form of si / so, lo = max(-128, zo + round(0 / so)), hi = 127 for RELU and
 * min(127, zo + round(6 / so)) for RELU6. Workload: one pass over an activation tensor.
 */
#include <math.h>

#include "ops_int.h"

rune_status nnops_relu_prepare(nn_model *m, nn_graph *g, nn_op *op, float cap, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_f32_or_i8(in, out, err)) != RUNE_OK) return st;
    if ((st = nnops_check_shape(out, "output 0", in->ndims, in->dims, err)) != RUNE_OK) return st;
    nnops_relu_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    if (in->type == RUNE_NN_INT8) {
        nn_quantize_multiplier((double)in->scale / out->scale, &p->mult, &p->shift);
        int32_t lo = out->zero_point + nnops_f2i(roundf(0.0f / out->scale), 0);
        p->lo = lo > -128 ? lo : -128;
        p->hi = 127;
        if (cap > 0) {
            int32_t hi = out->zero_point + nnops_f2i(roundf(cap / out->scale), 127);
            p->hi = hi < 127 ? hi : 127;
        }
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status prepare_relu(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    return nnops_relu_prepare(m, g, op, 0.0f, err);
}

rune_status nnops_relu_eval(const nn_exec *x, const nn_op *op, float cap)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const nnops_relu_params *p = op->params;
    size_t n = in->n_elems;
    if (in->type == RUNE_NN_FLOAT32) {
        const float *src = nn_data(x, in);
        float *dst = nn_data(x, out);
        for (size_t i = 0; i < n; i++) {
            float v = src[i] > 0.0f ? src[i] : 0.0f;
            dst[i] = cap > 0 && v > cap ? cap : v;
        }
        return RUNE_OK;
    }
    const int8_t *src = nn_data(x, in);
    int8_t *dst = nn_data(x, out);
    int32_t zi = in->zero_point, zo = out->zero_point;
    for (size_t i = 0; i < n; i++) {
        /* wrapping: a hostile scale ratio may take the product to the edge of int32 */
        int32_t v = nn_wrap_add(zo, nn_mbqm(src[i] - zi, p->mult, p->shift));
        dst[i] = (int8_t)nnops_clamp(v, p->lo, p->hi);
    }
    return RUNE_OK;
}

static rune_status eval_relu(const nn_exec *x, const nn_op *op)
{
    return nnops_relu_eval(x, op, 0.0f);
}

const nn_kernel nn_kernel_relu = {prepare_relu, eval_relu, eval_relu};

/*
 * softmax.c - SOFTMAX over the last dimension, float32 and int8. SoftmaxOptions: 0 beta (1 when the
 * options are absent). int8 with TFLite's output quantization (scale 1/256, zero point -128) runs
 * TFLite's fixed-point algorithm (softmax_q.c) to match it exactly; any other int8 output
 * quantization (which TFLite refuses) is computed from the dequantized inputs in double precision
 * and rounded. Small workload: one softmax over a few classes per model.
 */
#include "softmax_int.h"

#include <math.h>

typedef struct softmax_params {
    int rows, cols;
    double beta_scale; /* beta * input scale (int8) or beta (float) */
    float out_scale;
    int32_t out_zp;
    int fixed; /* int8 through the fixed-point path */
    nn_softmax_q q;
} softmax_params;

static rune_status softmax_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st;
    if ((st = nn_check_io(g, op, 1, 1, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nn_check_type(out, "output", in->type, err))) return st;
    if (!nn_same_shape(in, out))
        return RUNE_ERR(err, RUNE_E_INVALID, "output shape differs from input");
    if (in->ndims < 1 || in->dims[in->ndims - 1] <= 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "input needs a non-empty last dimension");
    softmax_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->cols = in->dims[in->ndims - 1];
    p->rows = (int)(in->n_elems / (size_t)p->cols);
    double beta = op->has_opts ? (double)nn_fb_f32(&op->opts, 0, 1.0f) : 1.0;
    if (!(beta > 0.0) || !isfinite(beta) || !isfinite(beta * (double)in->scale))
        return RUNE_ERR(err, RUNE_E_INVALID, "beta %g must be positive and finite", beta);
    if (in->type == RUNE_NN_FLOAT32) {
        p->beta_scale = beta;
    } else if (in->type == RUNE_NN_INT8) {
        if ((st = nn_check_quant(in, "input", err)) || (st = nn_check_quant(out, "output", err)))
            return st;
        p->beta_scale = beta * (double)in->scale;
        p->out_scale = out->scale;
        p->out_zp = out->zero_point;
        p->fixed = out->scale == 1.0f / 256 && out->zero_point == -128 &&
                   nn_softmax_q_prepare(beta, (double)in->scale, &p->q);
    } else {
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input type %s is not supported",
                        rune_nn_type_name(in->type));
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status softmax_eval(const nn_exec *x, const nn_op *op)
{
    const softmax_params *p = op->params;
    const nn_tensor *ti = nn_in(x->g, op, 0);
    const void *in = nn_data(x, ti);
    void *out = nn_data(x, nn_out(x->g, op, 0));
    for (int r = 0; r < p->rows; r++) {
        size_t base = (size_t)r * p->cols;
        if (ti->type == RUNE_NN_FLOAT32) {
            const float *a = (const float *)in + base;
            float *o = (float *)out + base;
            float mx = a[0];
            for (int c = 1; c < p->cols; c++)
                mx = a[c] > mx ? a[c] : mx;
            double sum = 0.0;
            for (int c = 0; c < p->cols; c++)
                sum += exp(((double)a[c] - mx) * p->beta_scale);
            for (int c = 0; c < p->cols; c++)
                o[c] = (float)(exp(((double)a[c] - mx) * p->beta_scale) / sum);
        } else if (p->fixed) {
            nn_softmax_q_row(&p->q, (const int8_t *)in + base, (int8_t *)out + base, p->cols);
        } else {
            const int8_t *a = (const int8_t *)in + base;
            int8_t *o = (int8_t *)out + base;
            int mx = a[0];
            for (int c = 1; c < p->cols; c++)
                mx = a[c] > mx ? a[c] : mx;
            double sum = 0.0;
            for (int c = 0; c < p->cols; c++)
                sum += exp((double)(a[c] - mx) * p->beta_scale);
            for (int c = 0; c < p->cols; c++) {
                double prob = exp((double)(a[c] - mx) * p->beta_scale) / sum;
                double q = round(prob / (double)p->out_scale) + p->out_zp;
                o[c] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
            }
        }
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_softmax = {softmax_prepare, softmax_eval, NULL};

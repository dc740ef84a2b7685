/*
 * ops_max_pool.c - MAX_POOL_2D over NHWC tensors, float32 and int8 (SAME/VALID padding, strides,
 * fused activation).
 *
 * As TFLite's reference: windows clipped at the borders (padding never wins the max), then the
 * activation clamp; int8 needs the input's quantization on the output, so values pass unchanged.
 * Workload: small feature maps of keyword and image models; direct loops, no scratch.
 */
#include <float.h>

#include "ops_int.h"

enum { POOL_OPTIONS = 5 };

typedef struct pool_params {
    int stride_w, stride_h, filter_w, filter_h, pad_w, pad_h;
    float f_lo, f_hi;
    int32_t q_lo, q_hi;
} pool_params;

static rune_status prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st = nn_check_io(g, op, 1, 1, 1, err);
    if (st != RUNE_OK) return st;
    if ((st = nnops_check_opts(op, POOL_OPTIONS, err)) != RUNE_OK) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nnops_check_f32_or_i8(in, out, err)) != RUNE_OK) return st;
    if ((st = nn_check_rank(in, "input 0", 4, err)) != RUNE_OK) return st;
    if ((st = nnops_check_same_quant(in, out, err)) != RUNE_OK) return st;
    int padding = nn_fb_i8(&op->opts, 0, NN_PAD_SAME);
    int sw = nn_fb_i32(&op->opts, 1, 1), sh = nn_fb_i32(&op->opts, 2, 1);
    int fw = nn_fb_i32(&op->opts, 3, 1), fh = nn_fb_i32(&op->opts, 4, 1);
    int act = nn_fb_i8(&op->opts, 5, NN_ACT_NONE);
    if (padding != NN_PAD_SAME && padding != NN_PAD_VALID)
        return RUNE_ERR(err, RUNE_E_INVALID, "padding %d is neither SAME nor VALID", padding);
    if (sw < 1 || sh < 1 || fw < 1 || fh < 1 || sw > 4096 || sh > 4096 || fw > 4096 || fh > 4096)
        return RUNE_ERR(err, RUNE_E_INVALID, "strides %dx%d and filter %dx%d must be 1..4096", sw,
                        sh, fw, fh);
    int oh = nn_conv_out_size(padding, in->dims[1], fh, sh, 1);
    int ow = nn_conv_out_size(padding, in->dims[2], fw, sw, 1);
    if (oh < 1 || ow < 1)
        return RUNE_ERR(err, RUNE_E_INVALID, "filter %dx%d does not fit the input", fw, fh);
    int32_t want[4] = {in->dims[0], oh, ow, in->dims[3]};
    if ((st = nnops_check_shape(out, "output 0", 4, want, err)) != RUNE_OK) return st;
    pool_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->stride_w = sw;
    p->stride_h = sh;
    p->filter_w = fw;
    p->filter_h = fh;
    p->pad_h = nn_conv_pad(padding, in->dims[1], fh, sh, 1, oh);
    p->pad_w = nn_conv_pad(padding, in->dims[2], fw, sw, 1, ow);
    if (in->type == RUNE_NN_FLOAT32)
        st = nn_act_range_f32(act, &p->f_lo, &p->f_hi, err);
    else
        st = nn_act_range_int8(act, out->scale, out->zero_point, &p->q_lo, &p->q_hi, err);
    if (st != RUNE_OK) return st;
    op->params = p;
    op->macs = (uint64_t)out->n_elems * (uint64_t)fw * (uint64_t)fh;
    return RUNE_OK;
}

#define POOL_LOOP(T, LOWEST, STORE)                                                                \
    for (int b = 0; b < nb; b++)                                                                   \
        for (int oy = 0; oy < oh; oy++)                                                            \
            for (int ox = 0; ox < ow; ox++) {                                                      \
                int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;          \
                int fy0 = iy0 < 0 ? -iy0 : 0, fx0 = ix0 < 0 ? -ix0 : 0;                            \
                int fy1 = ih - iy0 < p->filter_h ? ih - iy0 : p->filter_h;                         \
                int fx1 = iw - ix0 < p->filter_w ? iw - ix0 : p->filter_w;                         \
                T *o = dst + (((size_t)b * oh + oy) * ow + ox) * c;                                \
                for (int ch = 0; ch < c; ch++)                                                     \
                    o[ch] = LOWEST;                                                                \
                for (int fy = fy0; fy < fy1; fy++)                                                 \
                    for (int fx = fx0; fx < fx1; fx++) {                                           \
                        const T *i = src + (((size_t)b * ih + iy0 + fy) * iw + ix0 + fx) * c;      \
                        for (int ch = 0; ch < c; ch++)                                             \
                            if (i[ch] > o[ch]) o[ch] = i[ch];                                      \
                    }                                                                              \
                for (int ch = 0; ch < c; ch++)                                                     \
                    STORE;                                                                         \
            }

static rune_status eval(const nn_exec *x, const nn_op *op)
{
    const nn_tensor *in = nn_in(x->g, op, 0), *out = nn_out(x->g, op, 0);
    const pool_params *p = op->params;
    int nb = in->dims[0], ih = in->dims[1], iw = in->dims[2], c = in->dims[3];
    int oh = out->dims[1], ow = out->dims[2];
    if (in->type == RUNE_NN_FLOAT32) {
        const float *src = nn_data(x, in);
        float *dst = nn_data(x, out);
        float lo = p->f_lo, hi = p->f_hi;
        POOL_LOOP(float, -FLT_MAX, o[ch] = o[ch] < lo ? lo : o[ch] > hi ? hi : o[ch]);
    } else {
        const int8_t *src = nn_data(x, in);
        int8_t *dst = nn_data(x, out);
        POOL_LOOP(int8_t, -128, o[ch] = (int8_t)nnops_clamp(o[ch], p->q_lo, p->q_hi));
    }
    return RUNE_OK;
}

const nn_kernel nn_kernel_max_pool_2d = {prepare, eval, eval};

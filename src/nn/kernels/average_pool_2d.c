/*
 * average_pool_2d.c - AVERAGE_POOL_2D over NHWC, float32 and int8 (input and output must share
 * their quantization, as TFLite requires). Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h,
 * 3 filter_width, 4 filter_height, 5 fused_activation_function. The average counts only taps inside
 * the input and rounds half away from zero, as TFLite's reference kernel. Small workload (one pool
 * per model), so one loop serves as both reference and eval.
 */
#include "kernels_int.h"

static rune_status pool_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st;
    if ((st = nn_check_io(g, op, 1, 1, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if ((st = nn_check_rank(in, "input", 4, err)) || (st = nn_check_rank(out, "output", 4, err)))
        return st;
    if (!op->has_opts) return RUNE_ERR(err, RUNE_E_INVALID, "Pool2DOptions are missing");
    nn_conv_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    const nn_fb_table *o = &op->opts;
    if ((st = nn_window_geometry(p, in, out, nn_fb_i32(o, 4, 0), nn_fb_i32(o, 3, 0),
                                 nn_fb_i8(o, 0, 0), nn_fb_i32(o, 2, 0), nn_fb_i32(o, 1, 0), 1, 1,
                                 err)))
        return st;
    p->out_c = p->in_c;
    if (out->dims[3] != p->in_c)
        return RUNE_ERR(err, RUNE_E_INVALID, "output has %d channels, input %d", (int)out->dims[3],
                        p->in_c);
    if ((st = nn_check_type(out, "output", in->type, err))) return st;
    int act = nn_fb_i8(o, 5, 0);
    op->macs = 0;
    if (in->type == RUNE_NN_FLOAT32) {
        if ((st = nn_act_range_f32(act, &p->f_min, &p->f_max, err))) return st;
    } else if (in->type == RUNE_NN_INT8) {
        p->is_int8 = 1;
        if ((st = nn_check_quant(in, "input", err)) || (st = nn_check_quant(out, "output", err)))
            return st;
        if (in->scale != out->scale || in->zero_point != out->zero_point)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "input and output quantization differ (scale %g/%g, zero point %d/%d)",
                            (double)in->scale, (double)out->scale, (int)in->zero_point,
                            (int)out->zero_point);
        if ((st = nn_act_range_int8(act, out->scale, out->zero_point, &p->act_min, &p->act_max,
                                    err)))
            return st;
    } else {
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "input type %s is not supported",
                        rune_nn_type_name(in->type));
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status pool_eval(const nn_exec *x, const nn_op *op)
{
    const nn_graph *g = x->g;
    const nn_conv_params *p = op->params;
    const void *in = nn_data(x, nn_in(g, op, 0));
    void *out = nn_data(x, nn_out(g, op, 0));
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++) {
                int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                int y0 = iy0 < 0 ? -iy0 : 0, x0 = ix0 < 0 ? -ix0 : 0;
                int y1 = p->in_h - iy0 < p->k_h ? p->in_h - iy0 : p->k_h;
                int x1 = p->in_w - ix0 < p->k_w ? p->in_w - ix0 : p->k_w;
                int64_t count = (int64_t)(y1 - y0) * (x1 - x0);
                size_t o = (((size_t)b * p->out_h + oy) * p->out_w + ox) * p->in_c;
                for (int c = 0; c < p->in_c; c++) {
                    if (p->is_int8) {
                        int64_t acc = 0; /* a window of up to 2^31 taps */
                        for (int ky = y0; ky < y1; ky++)
                            for (int kx = x0; kx < x1; kx++)
                                acc += ((
                                    const int8_t *)in)[(((size_t)b * p->in_h + iy0 + ky) * p->in_w +
                                                        ix0 + kx) *
                                                           p->in_c +
                                                       c];
                        if (count <= 0) return RUNE_E_INTERNAL; /* geometry checked at prepare */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                        if (acc < p->act_min) acc = p->act_min;
                        if (acc > p->act_max) acc = p->act_max;
                        ((int8_t *)out)[o + c] = (int8_t)acc;
                    } else {
                        float acc = 0.0f;
                        for (int ky = y0; ky < y1; ky++)
                            for (int kx = x0; kx < x1; kx++)
                                acc += ((
                                    const float *)in)[(((size_t)b * p->in_h + iy0 + ky) * p->in_w +
                                                       ix0 + kx) *
                                                          p->in_c +
                                                      c];
                        if (count <= 0) return RUNE_E_INTERNAL;
                        ((float *)out)[o + c] = nn_clampf(acc / (float)count, p->f_min, p->f_max);
                    }
                }
            }
    return RUNE_OK;
}

const nn_kernel nn_kernel_average_pool_2d = {pool_prepare, pool_eval, NULL};

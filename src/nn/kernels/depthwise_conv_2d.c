/*
 * depthwise_conv_2d.c - DEPTHWISE_CONV_2D: prepare and eval glue (math in conv_ref.c and
 * conv_fast.c). Filter [1, KH, KW, IC * depth_multiplier]; per-channel axis 3.
 * DepthwiseConv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier,
 * 4 fused_activation_function, 5 dilation_w_factor, 6 dilation_h_factor.
 */
#include "kernels_int.h"

static rune_status dw_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st;
    if ((st = nn_check_io(g, op, 2, 3, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if ((st = nn_check_rank(in, "input", 4, err)) || (st = nn_check_rank(w, "filter", 4, err)) ||
        (st = nn_check_rank(out, "output", 4, err)))
        return st;
    if (!w->data) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "filter must be a constant");
    if (w->dims[0] != 1)
        return RUNE_ERR(err, RUNE_E_INVALID, "filter dimension 0 must be 1, got %d",
                        (int)w->dims[0]);
    nn_conv_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    const nn_fb_table *o = &op->opts;
    int act = nn_fb_i8(o, 4, 0);
    if ((st = nn_window_geometry(p, in, out, w->dims[1], w->dims[2], nn_fb_i8(o, 0, 0),
                                 nn_fb_i32(o, 2, 0), nn_fb_i32(o, 1, 0), nn_fb_i32(o, 6, 1),
                                 nn_fb_i32(o, 5, 1), err)))
        return st;
    p->out_c = w->dims[3];
    if (p->in_c <= 0 || p->out_c % p->in_c != 0)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "filter has %d channels, not a multiple of the %d "
                        "input channels",
                        p->out_c, p->in_c);
    p->depth_mult = p->out_c / p->in_c;
    int opt_dm = nn_fb_i32(o, 3, p->depth_mult);
    if (opt_dm != p->depth_mult && opt_dm != 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "depth_multiplier %d does not match the filter (%d)",
                        opt_dm, p->depth_mult);
    if (out->dims[3] != p->out_c)
        return RUNE_ERR(err, RUNE_E_INVALID, "output has %d channels, filter makes %d",
                        (int)out->dims[3], p->out_c);
    op->macs = (uint64_t)p->batches * p->out_h * p->out_w * p->out_c * p->k_h * p->k_w;
    if ((st = nn_conv_check_types(m, in, w, bias, out, act, 3, p, err))) return st;
    if (!m->opts.reference && !p->is_int8) {
        op->scratch_bytes = (size_t)p->out_c * sizeof(float);
    } else if (!m->opts.reference) {
        if ((st = nn_dwconv_pack(m, p, w->data, err))) return st;
        op->scratch_bytes = nn_dwconv_fast_scratch(p);
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status dw_eval_ref(const nn_exec *x, const nn_op *op)
{
    const nn_graph *g = x->g;
    const nn_conv_params *p = op->params;
    const nn_tensor *in = nn_in(g, op, 0), *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
    void *out = nn_data(x, nn_out(g, op, 0));
    if (p->is_int8)
        nn_dwconv_ref_i8(p, nn_data(x, in), w->data, bias ? bias->data : NULL, out);
    else
        nn_dwconv_ref_f32(p, nn_data(x, in), w->data, bias ? bias->data : NULL, out);
    return RUNE_OK;
}

static rune_status dw_eval(const nn_exec *x, const nn_op *op)
{
    const nn_conv_params *p = op->params;
    if (op->scratch_bytes == 0) return dw_eval_ref(x, op);
    const nn_graph *g = x->g;
    if (!p->is_int8) {
        const nn_tensor *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
        nn_dwconv_fast_f32(p, nn_data(x, nn_in(g, op, 0)), w->data, bias ? bias->data : NULL,
                           nn_data(x, nn_out(g, op, 0)), nn_scratch(x, op));
        return RUNE_OK;
    }
    const nn_tensor *bias = nn_in(g, op, 2);
    nn_dwconv_fast_i8(p, nn_data(x, nn_in(g, op, 0)), bias ? bias->data : NULL,
                      nn_data(x, nn_out(g, op, 0)), nn_scratch(x, op));
    return RUNE_OK;
}

const nn_kernel nn_kernel_depthwise_conv_2d = {dw_prepare, dw_eval, dw_eval_ref};

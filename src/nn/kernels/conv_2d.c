/*
 * conv_2d.c - CONV_2D: prepare (checks, multipliers, weight packing) and eval glue; the math is in
 * conv_ref.c (reference) and conv_fast.c (optimized int8).
 * Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function,
 * 4 dilation_w_factor, 5 dilation_h_factor.
 */
#include "kernels_int.h"

/* Shared by conv and depthwise: geometry from NHWC input, filter [.,KH,KW,.] and options. */
rune_status nn_window_geometry(nn_conv_params *p, const nn_tensor *in, const nn_tensor *out, int kh,
                               int kw, int padding, int sh, int sw, int dh, int dw, rune_error *err)
{
    if (padding != NN_PAD_SAME && padding != NN_PAD_VALID)
        return RUNE_ERR(err, RUNE_E_INVALID, "unknown padding %d", padding);
    if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "strides (%d, %d) and dilations (%d, %d) must be > 0",
                        sh, sw, dh, dw);
    if (kh <= 0 || kw <= 0) return RUNE_ERR(err, RUNE_E_INVALID, "window %dx%d is empty", kh, kw);
    /* Bounds that keep every index computation of the kernels inside int. */
    const int lim = 1 << 16;
    if (kh > lim || kw > lim || sh > lim || sw > lim || dh > lim || dw > lim ||
        (int64_t)(kh - 1) * dh >= lim || (int64_t)(kw - 1) * dw >= lim || in->dims[1] > (1 << 24) ||
        in->dims[2] > (1 << 24))
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "window %dx%d, strides %d,%d, dilations %d,%d or input %dx%d too large", kh,
                        kw, sh, sw, dh, dw, (int)in->dims[1], (int)in->dims[2]);
    p->batches = in->dims[0];
    p->in_h = in->dims[1];
    p->in_w = in->dims[2];
    p->in_c = in->dims[3];
    p->k_h = kh;
    p->k_w = kw;
    p->stride_h = sh;
    p->stride_w = sw;
    p->dil_h = dh;
    p->dil_w = dw;
    p->out_h = nn_conv_out_size(padding, p->in_h, kh, sh, dh);
    p->out_w = nn_conv_out_size(padding, p->in_w, kw, sw, dw);
    if (p->out_h <= 0 || p->out_w <= 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "window %dx%d does not fit the %dx%d input", kh, kw,
                        p->in_h, p->in_w);
    p->pad_h = nn_conv_pad(padding, p->in_h, kh, sh, dh, p->out_h);
    p->pad_w = nn_conv_pad(padding, p->in_w, kw, sw, dw, p->out_w);
    if (out->ndims != 4 || out->dims[0] != p->batches || out->dims[1] != p->out_h ||
        out->dims[2] != p->out_w)
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "output shape does not match: expected [%d,%d,%d,.] from the input and "
                        "options",
                        p->batches, p->out_h, p->out_w);
    return RUNE_OK;
}

static rune_status conv_prepare(nn_model *m, nn_graph *g, nn_op *op, rune_error *err)
{
    rune_status st;
    if ((st = nn_check_io(g, op, 2, 3, 1, err))) return st;
    nn_tensor *in = nn_in(g, op, 0), *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if ((st = nn_check_rank(in, "input", 4, err)) || (st = nn_check_rank(w, "filter", 4, err)) ||
        (st = nn_check_rank(out, "output", 4, err)))
        return st;
    if (!w->data) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "filter must be a constant");
    nn_conv_params *p = nn_persist(m, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    const nn_fb_table *o = &op->opts;
    int act = nn_fb_i8(o, 3, 0);
    if ((st = nn_window_geometry(p, in, out, w->dims[1], w->dims[2], nn_fb_i8(o, 0, 0),
                                 nn_fb_i32(o, 2, 0), nn_fb_i32(o, 1, 0), nn_fb_i32(o, 5, 1),
                                 nn_fb_i32(o, 4, 1), err)))
        return st;
    p->out_c = w->dims[0];
    if (w->dims[3] != p->in_c)
        return RUNE_ERR(err, RUNE_E_INVALID, "filter has %d input channels, input has %d",
                        (int)w->dims[3], p->in_c);
    if (out->dims[3] != p->out_c)
        return RUNE_ERR(err, RUNE_E_INVALID, "output has %d channels, filter makes %d",
                        (int)out->dims[3], p->out_c);
    op->macs = (uint64_t)p->batches * p->out_h * p->out_w * p->out_c * p->k_h * p->k_w * p->in_c;
    if ((st = nn_conv_check_types(m, in, w, bias, out, act, 0, p, err))) return st;
    if (!m->opts.reference && !p->is_int8) {
        if ((st = nn_f32_transpose(m, w->data, p->out_c, p->k_h * p->k_w * p->in_c, &p->wt_f32,
                                   err)))
            return st;
        op->scratch_bytes = (size_t)p->out_c * sizeof(float);
    } else if (!m->opts.reference) {
        int k = p->k_h * p->k_w * p->in_c;
        if ((st = nn_pack_weights(m, p, w->data, bias ? bias->data : NULL, p->out_c, k, err)))
            return st;
        op->scratch_bytes = nn_conv_fast_scratch(p);
    }
    op->params = p;
    return RUNE_OK;
}

static rune_status conv_eval_ref(const nn_exec *x, const nn_op *op)
{
    const nn_graph *g = x->g;
    const nn_conv_params *p = op->params;
    const nn_tensor *in = nn_in(g, op, 0), *w = nn_in(g, op, 1), *bias = nn_in(g, op, 2);
    void *out = nn_data(x, nn_out(g, op, 0));
    if (p->is_int8)
        nn_conv_ref_i8(p, nn_data(x, in), w->data, bias ? bias->data : NULL, out);
    else
        nn_conv_ref_f32(p, nn_data(x, in), w->data, bias ? bias->data : NULL, out);
    return RUNE_OK;
}

static rune_status conv_eval(const nn_exec *x, const nn_op *op)
{
    const nn_conv_params *p = op->params;
    const nn_graph *g = x->g;
    if (p->wt_f32) {
        const nn_tensor *bias = nn_in(g, op, 2);
        nn_conv_fast_f32(p, nn_data(x, nn_in(g, op, 0)), p->wt_f32, bias ? bias->data : NULL,
                         nn_data(x, nn_out(g, op, 0)), nn_scratch(x, op));
        return RUNE_OK;
    }
    if (!p->is_int8 || !p->w8) return conv_eval_ref(x, op);
    nn_conv_fast_i8(p, nn_data(x, nn_in(g, op, 0)), nn_data(x, nn_out(g, op, 0)),
                    nn_scratch(x, op));
    return RUNE_OK;
}

const nn_kernel nn_kernel_conv_2d = {conv_prepare, conv_eval, conv_eval_ref};

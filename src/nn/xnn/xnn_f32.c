/*
 * xnn_f32.c - builds XNNPACK float32 operators for the ops XNNPACK has (see xnn_int.h). Each
 * builder reads the op's options and tensors (already checked by the portable prepare) and returns
 * 0 to leave the op to the portable kernel whenever something is outside what it maps exactly.
 */
#include "xnn_int.h"

static int act_range(int act, float *lo, float *hi)
{
    return nn_act_range_f32(act, lo, hi, NULL) == RUNE_OK;
}

static int conv(nn_graph *g, nn_op *op, nn_xnn_state *st, int depthwise)
{
    nn_tensor *in = nn_in(g, op, 0), *f = nn_in(g, op, 1), *b = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if (!f || !f->data || f->type != RUNE_NN_FLOAT32 || f->ndims != 4 || in->ndims != 4) return 0;
    if (b && (!b->data || b->type != RUNE_NN_FLOAT32)) return 0;
    const nn_fb_table *o = &op->opts;
    int padding = nn_fb_i8(o, 0, NN_PAD_SAME);
    int sw = nn_fb_i32(o, 1, 1), sh = nn_fb_i32(o, 2, 1);
    int act = nn_fb_i8(o, depthwise ? 4 : 3, NN_ACT_NONE);
    int dw = nn_fb_i32(o, depthwise ? 5 : 4, 1), dh = nn_fb_i32(o, depthwise ? 6 : 5, 1);
    float lo, hi;
    if (!act_range(act, &lo, &hi)) return 0;
    int kh = f->dims[1], kw = f->dims[2];
    nn_xnn_window w;
    if (!nn_xnn_window_of(in, out, kh, kw, padding, sh, sw, dh, dw, &w)) return 0;
    size_t ic = (size_t)in->dims[3], oc = (size_t)out->dims[3];
    uint32_t groups = 1, flags = 0;
    size_t gic = ic, goc = oc;
    if (depthwise) {
        if (f->dims[0] != 1 || oc % ic) return 0;
        groups = (uint32_t)ic;
        gic = 1;
        goc = oc / ic;
        flags = XNN_FLAG_DEPTHWISE_CONVOLUTION;
    } else if ((size_t)f->dims[3] != ic || (size_t)f->dims[0] != oc) {
        return 0;
    }
    if (xnn_create_convolution2d_nhwc_f32(
            w.pad_top, w.pad_right, w.pad_bottom, w.pad_left, (uint32_t)kh, (uint32_t)kw,
            w.stride_h, w.stride_w, w.dil_h, w.dil_w, groups, gic, goc, ic, oc, f->data,
            b ? b->data : NULL, lo, hi, flags, &st->op) != xnn_status_success)
        return 0;
    st->kind = NN_XNN_CONV_F32;
    st->batch = (size_t)in->dims[0];
    st->in_h = (size_t)in->dims[1];
    st->in_w = (size_t)in->dims[2];
    return 1;
}

static int fully_connected(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *in = nn_in(g, op, 0), *f = nn_in(g, op, 1), *b = nn_in(g, op, 2);
    if (!f || !f->data || f->type != RUNE_NN_FLOAT32 || f->ndims != 2) return 0;
    if (b && (!b->data || b->type != RUNE_NN_FLOAT32)) return 0;
    if (nn_fb_i8(&op->opts, 1, 0) != 0) return 0; /* weights_format must be DEFAULT */
    float lo, hi;
    if (!act_range(nn_fb_i8(&op->opts, 0, NN_ACT_NONE), &lo, &hi)) return 0;
    size_t oc = (size_t)f->dims[0], ic = (size_t)f->dims[1];
    if (ic == 0 || in->n_elems % ic) return 0;
    if (xnn_create_fully_connected_nc_f32(ic, oc, ic, oc, f->data, b ? b->data : NULL, lo, hi, 0,
                                          &st->op) != xnn_status_success)
        return 0;
    st->kind = NN_XNN_FC_F32;
    st->batch = in->n_elems / ic;
    return 1;
}

static int pool(nn_graph *g, nn_op *op, nn_xnn_state *st, int max)
{
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if (in->ndims != 4) return 0;
    const nn_fb_table *o = &op->opts;
    int padding = nn_fb_i8(o, 0, NN_PAD_SAME);
    int sw = nn_fb_i32(o, 1, 1), sh = nn_fb_i32(o, 2, 1);
    int fw = nn_fb_i32(o, 3, 1), fh = nn_fb_i32(o, 4, 1);
    float lo, hi;
    if (!act_range(nn_fb_i8(o, 5, NN_ACT_NONE), &lo, &hi)) return 0;
    nn_xnn_window w;
    if (!nn_xnn_window_of(in, out, fh, fw, padding, sh, sw, 1, 1, &w)) return 0;
    size_t c = (size_t)in->dims[3];
    enum xnn_status s;
    if (max) {
        s = xnn_create_max_pooling2d_nhwc_f32(w.pad_top, w.pad_right, w.pad_bottom, w.pad_left,
                                              (uint32_t)fh, (uint32_t)fw, w.stride_h, w.stride_w, 1,
                                              1, c, c, c, lo, hi, 0, &st->op);
    } else {
        if (fh * fw == 1) return 0; /* XNNPACK refuses 1x1 average pooling */
        s = xnn_create_average_pooling2d_nhwc_f32(w.pad_top, w.pad_right, w.pad_bottom, w.pad_left,
                                                  (uint32_t)fh, (uint32_t)fw, w.stride_h,
                                                  w.stride_w, c, c, c, lo, hi, 0, &st->op);
    }
    if (s != xnn_status_success) return 0;
    st->kind = max ? NN_XNN_MAXPOOL_F32 : NN_XNN_AVGPOOL_F32;
    st->batch = (size_t)in->dims[0];
    st->in_h = (size_t)in->dims[1];
    st->in_w = (size_t)in->dims[2];
    return 1;
}

static int binary(nn_graph *g, nn_op *op, nn_xnn_state *st, int kind)
{
    nn_tensor *a = nn_in(g, op, 0), *b = nn_in(g, op, 1);
    if (!b || a->ndims > XNN_MAX_TENSOR_DIMS || b->ndims > XNN_MAX_TENSOR_DIMS) return 0;
    if (a->ndims == 0 || b->ndims == 0) return 0;
    float lo, hi;
    if (!act_range(nn_fb_i8(&op->opts, 0, NN_ACT_NONE), &lo, &hi)) return 0;
    enum xnn_status s;
    if (kind == NN_XNN_ADD_F32)
        s = xnn_create_add_nd_f32(lo, hi, 0, &st->op);
    else if (kind == NN_XNN_SUB_F32)
        s = xnn_create_subtract_nd_f32(lo, hi, 0, &st->op);
    else
        s = xnn_create_multiply_nd_f32(lo, hi, 0, &st->op);
    if (s != xnn_status_success) return 0;
    st->kind = kind;
    st->n_a = (size_t)a->ndims;
    st->n_b = (size_t)b->ndims;
    for (int i = 0; i < a->ndims; i++)
        st->shape_a[i] = (size_t)a->dims[i];
    for (int i = 0; i < b->ndims; i++)
        st->shape_b[i] = (size_t)b->dims[i];
    return 1;
}

static int rows(nn_graph *g, nn_op *op, nn_xnn_state *st, int softmax)
{
    nn_tensor *in = nn_in(g, op, 0);
    size_t c = in->ndims ? (size_t)in->dims[in->ndims - 1] : 1;
    if (c == 0 || in->n_elems == 0) return 0;
    enum xnn_status s;
    if (softmax) {
        if (nn_fb_f32(&op->opts, 0, 1.0f) != 1.0f) return 0; /* XNNPACK has no beta */
        s = xnn_create_softmax_nc_f32(c, c, c, 0, &st->op);
        st->kind = NN_XNN_SOFTMAX_F32;
    } else {
        s = xnn_create_sigmoid_nc_f32(c, c, c, 0, &st->op);
        st->kind = NN_XNN_SIGMOID_F32;
    }
    if (s != xnn_status_success) return 0;
    st->batch = in->n_elems / c;
    return 1;
}

int nn_xnn_build_f32(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *out = nn_out(g, op, 0);
    if (!out || out->type != RUNE_NN_FLOAT32) return 0;
    switch (op->code) {
    case 3: return conv(g, op, st, 0);
    case 4: return conv(g, op, st, 1);
    case 9: return fully_connected(g, op, st);
    case 1: return pool(g, op, st, 0);
    case 17: return pool(g, op, st, 1);
    case 0: return binary(g, op, st, NN_XNN_ADD_F32);
    case 41: return binary(g, op, st, NN_XNN_SUB_F32);
    case 18: return binary(g, op, st, NN_XNN_MUL_F32);
    case 25: return rows(g, op, st, 1);
    case 14: return rows(g, op, st, 0);
    default: return 0;
    }
}

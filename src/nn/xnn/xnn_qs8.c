/*
 * xnn_qs8.c - builds XNNPACK int8 operators: CONV_2D and DEPTHWISE_CONV_2D as qc8 (per-channel
 * filter scales), FULLY_CONNECTED (per-tensor filter) and ADD/MUL as qs8. Only used when
 * nn_xnn_int8 is set: XNNPACK's float requantization does not reproduce TFLite's fixed-point
 * rounding (see xnn_int.h).
 */
#include "xnn_int.h"

#include "rune/alloc.h"

static int act_range(int act, const nn_tensor *out, int8_t *lo, int8_t *hi)
{
    int32_t l, h;
    if (nn_act_range_int8(act, out->scale, out->zero_point, &l, &h, NULL) != RUNE_OK) return 0;
    *lo = (int8_t)l;
    *hi = (int8_t)h;
    return 1;
}

static int symmetric(const nn_tensor *f)
{
    for (int c = 0; c < f->q.n; c++)
        if (f->q.zero_point[c] != 0) return 0;
    return f->q.n >= 1;
}

static int conv(nn_graph *g, nn_op *op, nn_xnn_state *st, int depthwise)
{
    nn_tensor *in = nn_in(g, op, 0), *f = nn_in(g, op, 1), *b = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if (!f || !f->data || f->type != RUNE_NN_INT8 || f->ndims != 4 || in->ndims != 4) return 0;
    if (b && (!b->data || b->type != RUNE_NN_INT32)) return 0;
    if (!symmetric(f) || in->q.n != 1 || out->q.n != 1) return 0;
    const nn_fb_table *o = &op->opts;
    int padding = nn_fb_i8(o, 0, NN_PAD_SAME);
    int sw = nn_fb_i32(o, 1, 1), sh = nn_fb_i32(o, 2, 1);
    int act = nn_fb_i8(o, depthwise ? 4 : 3, NN_ACT_NONE);
    int dw = nn_fb_i32(o, depthwise ? 5 : 4, 1), dh = nn_fb_i32(o, depthwise ? 6 : 5, 1);
    int8_t lo, hi;
    if (!act_range(act, out, &lo, &hi)) return 0;
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
    if (f->q.n != 1 && (size_t)f->q.n != oc) return 0;
    float *scales = rune_malloc_array(oc, sizeof *scales);
    if (!scales) return 0;
    for (size_t c = 0; c < oc; c++)
        scales[c] = f->q.scale[f->q.n == 1 ? 0 : c];
    enum xnn_status s = xnn_create_convolution2d_nhwc_qc8(
        w.pad_top, w.pad_right, w.pad_bottom, w.pad_left, (uint32_t)kh, (uint32_t)kw, w.stride_h,
        w.stride_w, w.dil_h, w.dil_w, groups, gic, goc, ic, oc, (int8_t)in->zero_point, in->scale,
        scales, f->data, b ? b->data : NULL, (int8_t)out->zero_point, out->scale, lo, hi, flags,
        &st->op);
    rune_free(scales);
    if (s != xnn_status_success) return 0;
    st->kind = NN_XNN_CONV_QC8;
    st->batch = (size_t)in->dims[0];
    st->in_h = (size_t)in->dims[1];
    st->in_w = (size_t)in->dims[2];
    return 1;
}

static int fully_connected(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *in = nn_in(g, op, 0), *f = nn_in(g, op, 1), *b = nn_in(g, op, 2);
    nn_tensor *out = nn_out(g, op, 0);
    if (!f || !f->data || f->type != RUNE_NN_INT8 || f->ndims != 2 || f->q.n != 1) return 0;
    if (b && (!b->data || b->type != RUNE_NN_INT32)) return 0;
    if (!symmetric(f) || nn_fb_i8(&op->opts, 1, 0) != 0) return 0;
    int8_t lo, hi;
    if (!act_range(nn_fb_i8(&op->opts, 0, NN_ACT_NONE), out, &lo, &hi)) return 0;
    size_t oc = (size_t)f->dims[0], ic = (size_t)f->dims[1];
    if (ic == 0 || in->n_elems % ic) return 0;
    if (xnn_create_fully_connected_nc_qs8(ic, oc, ic, oc, (int8_t)in->zero_point, in->scale,
                                          f->scale, f->data, b ? b->data : NULL,
                                          (int8_t)out->zero_point, out->scale, lo, hi, 0,
                                          &st->op) != xnn_status_success)
        return 0;
    st->kind = NN_XNN_FC_QS8;
    st->batch = in->n_elems / ic;
    return 1;
}

static int binary(nn_graph *g, nn_op *op, nn_xnn_state *st, int mul)
{
    nn_tensor *a = nn_in(g, op, 0), *b = nn_in(g, op, 1), *out = nn_out(g, op, 0);
    if (!b || a->ndims == 0 || b->ndims == 0 || a->ndims > XNN_MAX_TENSOR_DIMS ||
        b->ndims > XNN_MAX_TENSOR_DIMS)
        return 0;
    int8_t lo, hi;
    if (!act_range(nn_fb_i8(&op->opts, 0, NN_ACT_NONE), out, &lo, &hi)) return 0;
    enum xnn_status s =
        mul ? xnn_create_multiply_nd_qs8((int8_t)a->zero_point, a->scale, (int8_t)b->zero_point,
                                         b->scale, (int8_t)out->zero_point, out->scale, lo, hi, 0,
                                         &st->op)
            : xnn_create_add_nd_qs8((int8_t)a->zero_point, a->scale, (int8_t)b->zero_point,
                                    b->scale, (int8_t)out->zero_point, out->scale, lo, hi, 0,
                                    &st->op);
    if (s != xnn_status_success) return 0;
    st->kind = mul ? NN_XNN_MUL_QS8 : NN_XNN_ADD_QS8;
    st->n_a = (size_t)a->ndims;
    st->n_b = (size_t)b->ndims;
    for (int i = 0; i < a->ndims; i++)
        st->shape_a[i] = (size_t)a->dims[i];
    for (int i = 0; i < b->ndims; i++)
        st->shape_b[i] = (size_t)b->dims[i];
    return 1;
}

int nn_xnn_build_qs8(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *out = nn_out(g, op, 0);
    if (!out || out->type != RUNE_NN_INT8 || out->q.n != 1) return 0;
    switch (op->code) {
    case 3: return conv(g, op, st, 0);
    case 4: return conv(g, op, st, 1);
    case 9: return fully_connected(g, op, st);
    case 0: return binary(g, op, st, 0);
    case 18: return binary(g, op, st, 1);
    default: return 0;
    }
}

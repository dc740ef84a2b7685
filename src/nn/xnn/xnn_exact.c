/*
 * xnn_exact.c - XNNPACK operators that compute exactly what the portable kernels compute, so they
 * are used for int8 too: MAX_POOL_2D int8 (s8 max pooling: no arithmetic besides the clamp), PAD
 * (constant padding, x8 / x32 by element size) and DEQUANTIZE int8 -> float32.
 */
#include "xnn_int.h"

static int max_pool_s8(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if (in->type != RUNE_NN_INT8 || in->ndims != 4) return 0;
    const nn_fb_table *o = &op->opts;
    int padding = nn_fb_i8(o, 0, NN_PAD_SAME);
    int sw = nn_fb_i32(o, 1, 1), sh = nn_fb_i32(o, 2, 1);
    int fw = nn_fb_i32(o, 3, 1), fh = nn_fb_i32(o, 4, 1);
    int32_t lo, hi;
    if (nn_act_range_int8(nn_fb_i8(o, 5, NN_ACT_NONE), out->scale, out->zero_point, &lo, &hi,
                          NULL) != RUNE_OK)
        return 0;
    nn_xnn_window w;
    if (!nn_xnn_window_of(in, out, fh, fw, padding, sh, sw, 1, 1, &w)) return 0;
    size_t c = (size_t)in->dims[3];
    if (xnn_create_max_pooling2d_nhwc_s8(w.pad_top, w.pad_right, w.pad_bottom, w.pad_left,
                                         (uint32_t)fh, (uint32_t)fw, w.stride_h, w.stride_w, 1, 1,
                                         c, c, c, (int8_t)lo, (int8_t)hi, 0,
                                         &st->op) != xnn_status_success)
        return 0;
    st->kind = NN_XNN_MAXPOOL_S8;
    st->batch = (size_t)in->dims[0];
    st->in_h = (size_t)in->dims[1];
    st->in_w = (size_t)in->dims[2];
    return 1;
}

static int pad(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *in = nn_in(g, op, 0), *p = nn_in(g, op, 1), *out = nn_out(g, op, 0);
    if (!p || !p->data || p->type != RUNE_NN_INT32 || p->n_elems != 2 * (size_t)in->ndims) return 0;
    if (in->ndims < 1 || in->ndims > XNN_MAX_TENSOR_DIMS) return 0;
    const int32_t *pads = p->data;
    for (int i = 0; i < in->ndims; i++) {
        st->shape_a[i] = (size_t)in->dims[i];
        st->pre[i] = (size_t)pads[2 * i];
        st->post[i] = (size_t)pads[2 * i + 1];
    }
    st->n_a = (size_t)in->ndims;
    enum xnn_status s;
    if (in->type == RUNE_NN_INT8) {
        int8_t v = (int8_t)out->zero_point;
        s = xnn_create_constant_pad_nd_x8(&v, 0, &st->op);
        st->kind = NN_XNN_PAD_X8;
    } else if (in->type == RUNE_NN_FLOAT32) {
        float v = 0.0f;
        s = xnn_create_constant_pad_nd_x32(&v, 0, &st->op);
        st->kind = NN_XNN_PAD_X32;
    } else {
        return 0;
    }
    return s == xnn_status_success;
}

static int dequantize(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    nn_tensor *in = nn_in(g, op, 0), *out = nn_out(g, op, 0);
    if (in->type != RUNE_NN_INT8 || out->type != RUNE_NN_FLOAT32 || in->q.n != 1) return 0;
    if (xnn_create_convert_nc_qs8_f32(1, 1, 1, in->scale, (int8_t)in->zero_point, 0, &st->op) !=
        xnn_status_success)
        return 0;
    st->kind = NN_XNN_DEQUANT_QS8;
    st->batch = in->n_elems;
    return 1;
}

int nn_xnn_build_exact(nn_graph *g, nn_op *op, nn_xnn_state *st)
{
    switch (op->code) {
    case 17: return max_pool_s8(g, op, st);
    case 34: return pad(g, op, st);
    case 6: return dequantize(g, op, st);
    default: return 0;
    }
}

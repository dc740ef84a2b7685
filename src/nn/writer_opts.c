/*
 * writer_opts.c - builders of the builtin options tables the TFLite writer knows by name.
 *
 * Field ids follow TFLite's schema.fbs:
 *   Conv2DOptions: padding(0) stride_w(1) stride_h(2) fused_activation_function(3)
 *                  dilation_w_factor(4) dilation_h_factor(5)
 *   DepthwiseConv2DOptions: padding(0) stride_w(1) stride_h(2) depth_multiplier(3) fused_act(4)
 *                  dilation_w_factor(5) dilation_h_factor(6)
 *   Pool2DOptions: padding(0) stride_w(1) stride_h(2) filter_width(3) filter_height(4) fused_act(5)
 *   FullyConnectedOptions: fused_act(0); SoftmaxOptions: beta(0)
 *   ConcatenationOptions: axis(0) fused_act(1); Add/Sub/MulOptions: fused_act(0)
 *   ReshapeOptions: new_shape(0); ReducerOptions: keep_dims(0); SqueezeOptions: squeeze_dims(0)
 *   StridedSliceOptions: begin_mask(0) end_mask(1) ellipsis_mask(2) new_axis_mask(3)
 *                  shrink_axis_mask(4)
 */
#include <string.h>

#include "rune/nn_writer.h"

static rune_nnw_options opts(int type)
{
    rune_nnw_options o;
    memset(&o, 0, sizeof o);
    o.type = type;
    return o;
}

static void add(rune_nnw_options *o, int id, rune_nnw_field_kind kind, int32_t v)
{
    if (o->n_fields >= RUNE_NNW_MAX_FIELDS) return;
    rune_nnw_field *f = &o->fields[o->n_fields++];
    f->id = id;
    f->kind = kind;
    f->i = v;
}

static void add_ints(rune_nnw_options *o, int id, const int32_t *v, int n)
{
    if (o->n_fields >= RUNE_NNW_MAX_FIELDS) return;
    rune_nnw_field *f = &o->fields[o->n_fields++];
    f->id = id;
    f->kind = RUNE_NNW_F_INTS;
    f->ints = v;
    f->n_ints = n;
}

rune_nnw_options rune_nnw_opts_empty(int type)
{
    return opts(type);
}

rune_nnw_options rune_nnw_opts_conv2d(int padding, int stride_w, int stride_h, int act,
                                      int dilation_w, int dilation_h)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_CONV_2D);
    add(&o, 0, RUNE_NNW_F_BYTE, padding);
    add(&o, 1, RUNE_NNW_F_INT, stride_w);
    add(&o, 2, RUNE_NNW_F_INT, stride_h);
    add(&o, 3, RUNE_NNW_F_BYTE, act);
    add(&o, 4, RUNE_NNW_F_INT, dilation_w);
    add(&o, 5, RUNE_NNW_F_INT, dilation_h);
    return o;
}

rune_nnw_options rune_nnw_opts_depthwise(int padding, int stride_w, int stride_h, int multiplier,
                                         int act, int dilation_w, int dilation_h)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_DEPTHWISE_CONV_2D);
    add(&o, 0, RUNE_NNW_F_BYTE, padding);
    add(&o, 1, RUNE_NNW_F_INT, stride_w);
    add(&o, 2, RUNE_NNW_F_INT, stride_h);
    add(&o, 3, RUNE_NNW_F_INT, multiplier);
    add(&o, 4, RUNE_NNW_F_BYTE, act);
    add(&o, 5, RUNE_NNW_F_INT, dilation_w);
    add(&o, 6, RUNE_NNW_F_INT, dilation_h);
    return o;
}

rune_nnw_options rune_nnw_opts_pool(int padding, int stride_w, int stride_h, int filter_w,
                                    int filter_h, int act)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_POOL_2D);
    add(&o, 0, RUNE_NNW_F_BYTE, padding);
    add(&o, 1, RUNE_NNW_F_INT, stride_w);
    add(&o, 2, RUNE_NNW_F_INT, stride_h);
    add(&o, 3, RUNE_NNW_F_INT, filter_w);
    add(&o, 4, RUNE_NNW_F_INT, filter_h);
    add(&o, 5, RUNE_NNW_F_BYTE, act);
    return o;
}

rune_nnw_options rune_nnw_opts_fc(int act)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_FULLY_CONNECTED);
    add(&o, 0, RUNE_NNW_F_BYTE, act);
    return o;
}

rune_nnw_options rune_nnw_opts_softmax(float beta)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_SOFTMAX);
    add(&o, 0, RUNE_NNW_F_FLOAT, 0);
    o.fields[0].f = beta;
    return o;
}

rune_nnw_options rune_nnw_opts_concat(int axis, int act)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_CONCATENATION);
    add(&o, 0, RUNE_NNW_F_INT, axis);
    add(&o, 1, RUNE_NNW_F_BYTE, act);
    return o;
}

rune_nnw_options rune_nnw_opts_act(int type, int act)
{
    rune_nnw_options o = opts(type);
    add(&o, 0, RUNE_NNW_F_BYTE, act);
    return o;
}

rune_nnw_options rune_nnw_opts_reshape(const int32_t *new_shape, int n)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_RESHAPE);
    add_ints(&o, 0, new_shape, n);
    return o;
}

rune_nnw_options rune_nnw_opts_reducer(int keep_dims)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_REDUCER);
    add(&o, 0, RUNE_NNW_F_BOOL, keep_dims ? 1 : 0);
    return o;
}

rune_nnw_options rune_nnw_opts_squeeze(const int32_t *dims, int n)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_SQUEEZE);
    add_ints(&o, 0, dims, n);
    return o;
}

rune_nnw_options rune_nnw_opts_strided_slice(int begin_mask, int end_mask, int ellipsis_mask,
                                             int new_axis_mask, int shrink_axis_mask)
{
    rune_nnw_options o = opts(RUNE_NNW_OPT_STRIDED_SLICE);
    add(&o, 0, RUNE_NNW_F_INT, begin_mask);
    add(&o, 1, RUNE_NNW_F_INT, end_mask);
    add(&o, 2, RUNE_NNW_F_INT, ellipsis_mask);
    add(&o, 3, RUNE_NNW_F_INT, new_axis_mask);
    add(&o, 4, RUNE_NNW_F_INT, shrink_axis_mask);
    return o;
}

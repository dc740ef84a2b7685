/*
 * bench_models.c - a float32 MobileNetV1-0.25 shaped like person_detect (96x96x1 input, 14
 * depthwise + 14 pointwise/3x3 convs, average pool, 1x1 conv to 2 classes, reshape, softmax),
 * made with the TFLite writer from random weights: the float workload XNNPACK is built for, with
 * person_detect's 7 M MACs, so float and int8 speeds can be compared on the same shape.
 */
#include <stdlib.h>

#include "rune/alloc.h"
#include "rune/nn_writer.h"

static float rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return ((float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f) * 0.3f;
}

static int constant(rune_nnw *w, int rank, const int32_t *shape, uint32_t *seed)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)shape[i];
    float *v = rune_malloc_array(n, sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < n; i++)
        v[i] = rnd(seed);
    int t = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32,
                                                      .rank = rank,
                                                      .shape = shape,
                                                      .data = v,
                                                      .data_len = n * sizeof *v});
    rune_free(v);
    return t;
}

static int act(rune_nnw *w, int h, int wd, int c)
{
    int32_t s[4] = {1, h, wd, c};
    return rune_nnw_add_tensor(w,
                               &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32, .rank = 4, .shape = s});
}

static int conv(rune_nnw *w, int x, int *h, int *wd, int ic, int oc, int k, int stride,
                uint32_t *seed, int relu6)
{
    int oh = (*h + stride - 1) / stride, ow = (*wd + stride - 1) / stride;
    int f = constant(w, 4, (int32_t[]){oc, k, k, ic}, seed);
    int b = constant(w, 1, (int32_t[]){oc}, seed);
    int y = act(w, oh, ow, oc);
    rune_nnw_options o = rune_nnw_opts_conv2d(RUNE_NNW_PAD_SAME, stride, stride,
                                              relu6 ? RUNE_NNW_ACT_RELU6 : RUNE_NNW_ACT_NONE, 1, 1);
    rune_nnw_add_op(w, RUNE_NNW_OP_CONV_2D, (int[]){x, f, b}, 3, &y, 1, &o);
    *h = oh;
    *wd = ow;
    return y;
}

static int dwconv(rune_nnw *w, int x, int *h, int *wd, int c, int stride, uint32_t *seed)
{
    int oh = (*h + stride - 1) / stride, ow = (*wd + stride - 1) / stride;
    int f = constant(w, 4, (int32_t[]){1, 3, 3, c}, seed);
    int b = constant(w, 1, (int32_t[]){c}, seed);
    int y = act(w, oh, ow, c);
    rune_nnw_options o =
        rune_nnw_opts_depthwise(RUNE_NNW_PAD_SAME, stride, stride, 1, RUNE_NNW_ACT_RELU6, 1, 1);
    rune_nnw_add_op(w, RUNE_NNW_OP_DEPTHWISE_CONV_2D, (int[]){x, f, b}, 3, &y, 1, &o);
    *h = oh;
    *wd = ow;
    return y;
}

rune_status bench_make_mobilenet_f32(uint8_t **bytes, size_t *len, rune_error *err)
{
    rune_nnw *w = NULL;
    rune_status st = rune_nnw_new(&w, err);
    if (st != RUNE_OK) return st;
    uint32_t seed = 42;
    int h = 96, wd = 96;
    int in = act(w, 96, 96, 1);
    int x = conv(w, in, &h, &wd, 1, 8, 3, 2, &seed, 1);
    static const int spec[13][2] = {{1, 16},  {2, 32},  {1, 32},  {2, 64},  {1, 64},
                                    {2, 128}, {1, 128}, {1, 128}, {1, 128}, {1, 128},
                                    {1, 128}, {2, 256}, {1, 256}};
    int c = 8;
    for (int i = 0; i < 13; i++) {
        x = dwconv(w, x, &h, &wd, c, spec[i][0], &seed);
        x = conv(w, x, &h, &wd, c, spec[i][1], 1, 1, &seed, 1);
        c = spec[i][1];
    }
    int p = act(w, 1, 1, c);
    rune_nnw_options o = rune_nnw_opts_pool(RUNE_NNW_PAD_VALID, 2, 2, 3, 3, RUNE_NNW_ACT_NONE);
    rune_nnw_add_op(w, RUNE_NNW_OP_AVERAGE_POOL_2D, &x, 1, &p, 1, &o);
    h = wd = 1;
    int logits = conv(w, p, &h, &wd, c, 2, 1, 1, &seed, 0);
    int32_t rs[2] = {1, 2};
    int r = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32, .rank = 2, .shape = rs});
    int shape_t = rune_nnw_add_tensor(w, &(rune_nnw_tensor){.type = RUNE_NNW_INT32,
                                                            .rank = 1,
                                                            .shape = (int32_t[]){2},
                                                            .data = rs,
                                                            .data_len = sizeof rs});
    o = rune_nnw_opts_reshape(rs, 2);
    rune_nnw_add_op(w, RUNE_NNW_OP_RESHAPE, (int[]){logits, shape_t}, 2, &r, 1, &o);
    int out = rune_nnw_add_tensor(
        w, &(rune_nnw_tensor){.type = RUNE_NNW_FLOAT32, .rank = 2, .shape = rs});
    o = rune_nnw_opts_softmax(1.0f);
    rune_nnw_add_op(w, RUNE_NNW_OP_SOFTMAX, &r, 1, &out, 1, &o);
    rune_nnw_set_io(w, &in, 1, &out, 1);
    st = rune_nnw_finish(w, bytes, len, err);
    rune_nnw_free(w);
    return st;
}

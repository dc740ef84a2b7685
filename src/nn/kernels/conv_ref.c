/*
 * conv_ref.c - reference math for CONV_2D and DEPTHWISE_CONV_2D, float32 and int8 per-channel: the
 * loops of TFLite's reference kernels, written plainly. The optimized loops in conv_fast.c must
 * give exactly these results (tests/nn/test_nn_kernels.c compares them). NHWC data; conv weights
 * [OC][KH][KW][IC], depthwise weights [1][KH][KW][IC*depth_mult]. Taps outside the input are
 * skipped.
 */
#include "kernels_int.h"

void nn_conv_ref_i8(const nn_conv_params *p, const int8_t *in, const int8_t *w, const int32_t *bias,
                    int8_t *out)
{
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int oc = 0; oc < p->out_c; oc++) {
                    int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                    uint32_t acc = 0; /* wraps like TFLite's int32 on real hardware, no UB */
                    for (int ky = 0; ky < p->k_h; ky++) {
                        int iy = iy0 + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h) continue;
                        for (int kx = 0; kx < p->k_w; kx++) {
                            int ix = ix0 + kx * p->dil_w;
                            if (ix < 0 || ix >= p->in_w) continue;
                            const int8_t *x =
                                in + (((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c;
                            const int8_t *f =
                                w + (((size_t)oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
                            for (int ic = 0; ic < p->in_c; ic++)
                                acc += (uint32_t)((int32_t)f[ic] * ((int32_t)x[ic] + p->in_offset));
                        }
                    }
                    if (bias) acc += (uint32_t)bias[oc];
                    out[(((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                        nn_requant_ref(p, (int32_t)acc, oc);
                }
}

void nn_conv_ref_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                     float *out)
{
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int oc = 0; oc < p->out_c; oc++) {
                    int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                    float acc = 0.0f;
                    for (int ky = 0; ky < p->k_h; ky++) {
                        int iy = iy0 + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h) continue;
                        for (int kx = 0; kx < p->k_w; kx++) {
                            int ix = ix0 + kx * p->dil_w;
                            if (ix < 0 || ix >= p->in_w) continue;
                            const float *x =
                                in + (((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c;
                            const float *f =
                                w + (((size_t)oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
                            for (int ic = 0; ic < p->in_c; ic++)
                                acc += x[ic] * f[ic];
                        }
                    }
                    if (bias) acc += bias[oc];
                    out[(((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                        nn_clampf(acc, p->f_min, p->f_max);
                }
}

void nn_dwconv_ref_i8(const nn_conv_params *p, const int8_t *in, const int8_t *w,
                      const int32_t *bias, int8_t *out)
{
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int ic = 0; ic < p->in_c; ic++)
                    for (int m = 0; m < p->depth_mult; m++) {
                        int oc = ic * p->depth_mult + m;
                        int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                        uint32_t acc = 0;
                        for (int ky = 0; ky < p->k_h; ky++) {
                            int iy = iy0 + ky * p->dil_h;
                            if (iy < 0 || iy >= p->in_h) continue;
                            for (int kx = 0; kx < p->k_w; kx++) {
                                int ix = ix0 + kx * p->dil_w;
                                if (ix < 0 || ix >= p->in_w) continue;
                                int32_t x =
                                    in[(((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
                                int32_t f = w[((size_t)ky * p->k_w + kx) * p->out_c + oc];
                                acc += (uint32_t)(f * (x + p->in_offset));
                            }
                        }
                        if (bias) acc += (uint32_t)bias[oc];
                        out[(((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                            nn_requant_ref(p, (int32_t)acc, oc);
                    }
}

void nn_dwconv_ref_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                       float *out)
{
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int ic = 0; ic < p->in_c; ic++)
                    for (int m = 0; m < p->depth_mult; m++) {
                        int oc = ic * p->depth_mult + m;
                        int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                        float acc = 0.0f;
                        for (int ky = 0; ky < p->k_h; ky++) {
                            int iy = iy0 + ky * p->dil_h;
                            if (iy < 0 || iy >= p->in_h) continue;
                            for (int kx = 0; kx < p->k_w; kx++) {
                                int ix = ix0 + kx * p->dil_w;
                                if (ix < 0 || ix >= p->in_w) continue;
                                float x =
                                    in[(((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
                                acc += x * w[((size_t)ky * p->k_w + kx) * p->out_c + oc];
                            }
                        }
                        if (bias) acc += bias[oc];
                        out[(((size_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                            nn_clampf(acc, p->f_min, p->f_max);
                    }
}

/*
 * float_fast.c - optimized float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, bit-identical to
 * the reference loops (conv_ref.c, fully_connected.c).
 *
 * Workload: float MobileNet-style models (7 M MACs) that the reference loops run at ~0.3 GMAC/s.
 * Each output channel still accumulates its products in exactly the reference order (taps
 * ky, kx, then input channels, skipping taps outside the input; bias last), so results are the
 * same floats; what changes is that the loops run across output channels, contiguous in the
 * transposed weights ([K][OC], made once at load), which compilers vectorize. C11 mode keeps
 * floating-point contraction off, so no fused multiply-add changes the rounding.
 */
#include "kernels_int.h"

#include <string.h>

rune_status nn_f32_transpose(nn_model *m, const float *w, int rows, int cols, float **out,
                             rune_error *err)
{
    size_t n = (size_t)rows * (size_t)cols;
    float *t = nn_persist(m, n * sizeof(float) + 16);
    if (!t) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            t[(size_t)c * rows + r] = w[(size_t)r * cols + c];
    *out = t;
    return RUNE_OK;
}

static void finish(float *o, const float *acc, const float *bias, int n, float lo, float hi)
{
    for (int c = 0; c < n; c++) {
        float v = acc[c];
        if (bias) v += bias[c];
        o[c] = nn_clampf(v, lo, hi);
    }
}

/* wt: [KH*KW*IC][OC]; acc: OC floats of scratch. */
void nn_conv_fast_f32(const nn_conv_params *p, const float *in, const float *wt, const float *bias,
                      float *out, float *acc)
{
    int OC = p->out_c, IC = p->in_c;
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++) {
                int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                memset(acc, 0, sizeof(float) * (size_t)OC);
                for (int ky = 0; ky < p->k_h; ky++) {
                    int iy = iy0 + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) continue;
                    for (int kx = 0; kx < p->k_w; kx++) {
                        int ix = ix0 + kx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) continue;
                        const float *x = in + (((size_t)b * p->in_h + iy) * p->in_w + ix) * IC;
                        const float *w = wt + ((size_t)ky * p->k_w + kx) * IC * OC;
                        for (int ic = 0; ic < IC; ic++) {
                            float xv = x[ic];
                            const float *wr = w + (size_t)ic * OC;
                            for (int oc = 0; oc < OC; oc++)
                                acc[oc] += xv * wr[oc];
                        }
                    }
                }
                finish(out + (((size_t)b * p->out_h + oy) * p->out_w + ox) * OC, acc, bias, OC,
                       p->f_min, p->f_max);
            }
}

/* w: the file's [1][KH][KW][OC] layout is already channel-contiguous. */
void nn_dwconv_fast_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                        float *out, float *acc)
{
    int OC = p->out_c, IC = p->in_c, dm = p->depth_mult;
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++) {
                int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                memset(acc, 0, sizeof(float) * (size_t)OC);
                for (int ky = 0; ky < p->k_h; ky++) {
                    int iy = iy0 + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) continue;
                    for (int kx = 0; kx < p->k_w; kx++) {
                        int ix = ix0 + kx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) continue;
                        const float *x = in + (((size_t)b * p->in_h + iy) * p->in_w + ix) * IC;
                        const float *f = w + ((size_t)ky * p->k_w + kx) * OC;
                        if (dm == 1) {
                            for (int c = 0; c < OC; c++)
                                acc[c] += x[c] * f[c];
                        } else {
                            for (int ic = 0; ic < IC; ic++)
                                for (int m = 0; m < dm; m++)
                                    acc[ic * dm + m] += x[ic] * f[ic * dm + m];
                        }
                    }
                }
                finish(out + (((size_t)b * p->out_h + oy) * p->out_w + ox) * OC, acc, bias, OC,
                       p->f_min, p->f_max);
            }
}

/* wt: [D][U]; acc: U floats of scratch. */
void nn_fc_fast_f32(int batches, int depth, int units, const float *in, const float *wt,
                    const float *bias, float *out, float *acc, float lo, float hi)
{
    for (int b = 0; b < batches; b++) {
        memset(acc, 0, sizeof(float) * (size_t)units);
        const float *x = in + (size_t)b * depth;
        for (int d = 0; d < depth; d++) {
            float xv = x[d];
            const float *wr = wt + (size_t)d * units;
            for (int u = 0; u < units; u++)
                acc[u] += xv * wr[u];
        }
        finish(out + (size_t)b * units, acc, bias, units, lo, hi);
    }
}

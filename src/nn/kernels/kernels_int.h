/*
 * kernels_int.h - parameters the nn helper's kernels (conv, depthwise, fully connected, pooling)
 * share between their prepare glue, their reference math and their optimized math. Private to
 * src/nn/kernels/{conv_2d,depthwise_conv_2d,fully_connected,average_pool_2d}*.c.
 */
#ifndef RUNE_NN_KERNELS_INT_H
#define RUNE_NN_KERNELS_INT_H

#include "../nn_int.h"

#if defined(__SSE2__) && !defined(RUNE_NN_NO_SIMD)
#include <emmintrin.h>
/* Eight int8 weights at w sign-extended to int16 lanes: the optimized loops read the model's int8
 * weights in place (SSE2 has no pmovsxbw: each byte goes to the high half of its lane and is
 * shifted down arithmetically). */
static inline __m128i nn_widen8(const int8_t *w)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)w);
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}
#endif

/* Requantization constants of one output channel (see nn_requant). */
typedef struct nn_rq {
    int32_t mult;             /* >= 0 */
    int32_t round;            /* 2^(right-1), 0 when right == 0 */
    uint8_t left, right, adj; /* adj: 1 when right > 0 */
} nn_rq;

/* The same constants as arrays per field, for four channels at a time (requant_sse2.h); present
 * only when no channel of the op needs a left shift. Arrays are padded to a multiple of 4. */
typedef struct nn_rq4 {
    int32_t *mult, *m, *bias, *keep, *mask, *half;
} nn_rq4;

/* A 2-D window op over NHWC data (conv, depthwise conv, pooling). */
typedef struct nn_conv_params {
    int batches;
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int k_h, k_w; /* filter (or pool window) size */
    int stride_h, stride_w;
    int dil_h, dil_w;
    int pad_h, pad_w; /* padding before (top/left) */
    int depth_mult;   /* depthwise only */
    int is_int8;
    int32_t in_offset;  /* -input zero point */
    int32_t out_offset; /* output zero point */
    int32_t act_min, act_max;
    float f_min, f_max;
    int32_t *mult; /* per output channel (int8) */
    int *shift;
    nn_rq *rq;   /* the same, prepared for nn_requant */
    nn_rq4 *rq4; /* and for nn_requant4 (NULL when a channel has a left shift) */
    /* Optimized paths (prepared only when not options.reference): */
    int32_t *bias_fold; /* bias + in_offset * sum of the channel's weights (conv, FC) */
    const int8_t *w8;   /* the model's int8 weights, used in place: conv, FC [OC][K]; depthwise
                           [KH*KW][OC] */
    int k;              /* conv, FC: row length of w8, k_h*k_w*in_c (FC: depth) */
    float *wt_f32;      /* float conv / FC: weights transposed to [K][OC] */
    int k16;            /* k rounded up to 8: the int16 input patch's length */
    int path;           /* which optimized loop eval uses (kernel-specific) */
} nn_conv_params;

/* Per-output-channel multipliers from input scale * filter scale[c] / output scale, computed in
 * double as TFLite's PopulateConvolutionQuantizationParams does. Filter with 1 scale: broadcast;
 * per-channel scales must run along the output-channel axis of the filter. */
rune_status nn_conv_multipliers(nn_model *m, const nn_tensor *in, const nn_tensor *filter,
                                const nn_tensor *out, int n_ch, int axis, nn_conv_params *p,
                                rune_error *err);
/* The type checks every convolution-shaped op (CONV_2D, DEPTHWISE_CONV_2D) makes once its geometry
 * is known: float32 in, filter, bias and out with the activation's float range; or int8 in, filter
 * and out, int32 bias, per-channel multipliers along the filter's axis `quant_axis` and the
 * activation's int8 range (sets p->is_int8). Any other input type is RUNE_E_UNSUPPORTED. */
rune_status nn_conv_check_types(nn_model *m, const nn_tensor *in, const nn_tensor *filter,
                                const nn_tensor *bias, const nn_tensor *out, int act,
                                int quant_axis, nn_conv_params *p, rune_error *err);
/* Window geometry (conv_2d.c) from NHWC input, window kh x kw, padding, strides and dilations;
 * checks the output's first three dims. */
rune_status nn_window_geometry(nn_conv_params *p, const nn_tensor *in, const nn_tensor *out, int kh,
                               int kw, int padding, int sh, int sw, int dh, int dw,
                               rune_error *err);
/* Fill p->rq4 from p->mult/p->shift (left NULL when some channel needs a left shift). */
rune_status nn_rq4_prepare(nn_model *m, nn_conv_params *p, int n_ch, rune_error *err);
/* Fill r from a multiplier made by nn_quantize_multiplier (mult >= 0, shift in [-31, 30]). */
void nn_rq_set(nn_rq *r, int32_t mult, int shift);
/* Bias tensor check: int32 for int8 ops (float32 for float ops), n_ch elements. */
rune_status nn_check_bias(const nn_tensor *bias, rune_nn_type want, int n_ch, rune_error *err);

/* Requantize an int32 accumulator (bias included) for output channel c, as TFLite's reference
 * kernels do: MultiplyByQuantizedMultiplier composed of SRDHM and RDBPOT, plus the output offset,
 * clamped to the activation range. Used by the reference loops. */
static inline int8_t nn_requant_ref(const nn_conv_params *p, int32_t acc, int c)
{
    int shift = p->shift[c];
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t v = (int64_t)nn_rdbpot(nn_srdhm((int32_t)((uint32_t)acc << left), p->mult[c]), right) +
                p->out_offset;
    if (v < p->act_min) v = p->act_min;
    if (v > p->act_max) v = p->act_max;
    return (int8_t)v;
}
/* The same result from constants prepared per channel (nn_rq), for the optimized loops: SRDHM is
 * (a * q + 2^30) >> 31 (exact because q >= 0, so the saturating case cannot occur) and RDBPOT is
 * (s + round - (s < 0 ? adj : 0)) >> right. test_nn_kernels checks both forms agree. */
static inline int8_t nn_requant(const nn_conv_params *p, int32_t acc, int c)
{
    const nn_rq *r = &p->rq[c];
    int32_t a = (int32_t)((uint32_t)acc << r->left);
    int64_t s = ((int64_t)a * r->mult + ((int64_t)1 << 30)) >> 31;
    int64_t v = ((s + r->round - ((s < 0) & r->adj)) >> r->right) + p->out_offset;
    if (v < p->act_min) v = p->act_min;
    if (v > p->act_max) v = p->act_max;
    return (int8_t)v;
}
static inline float nn_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Reference math (conv_ref.c): the loops of TFLite's reference kernels, unoptimized. */
void nn_conv_ref_i8(const nn_conv_params *p, const int8_t *in, const int8_t *w, const int32_t *bias,
                    int8_t *out);
void nn_conv_ref_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                     float *out);
void nn_dwconv_ref_i8(const nn_conv_params *p, const int8_t *in, const int8_t *w,
                      const int32_t *bias, int8_t *out);
void nn_dwconv_ref_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                       float *out);

/* Optimized math (conv_fast.c), identical results to the reference. */
void nn_conv_fast_i8(const nn_conv_params *p, const int8_t *in, int8_t *out, int16_t *scratch);
size_t nn_conv_fast_scratch(const nn_conv_params *p);
/* Depthwise (dwconv_fast.c): the int8 weights [KH*KW][OC] are read in place (p->w8). */
rune_status nn_dwconv_pack(nn_model *m, nn_conv_params *p, const int8_t *w, rune_error *err);
void nn_dwconv_fast_i8(const nn_conv_params *p, const int8_t *in, const int32_t *bias, int8_t *out,
                       void *scratch);
size_t nn_dwconv_fast_scratch(const nn_conv_params *p);
/* Float32 optimized loops (float_fast.c), bit-identical to the reference ones. */
rune_status nn_f32_transpose(nn_model *m, const float *w, int rows, int cols, float **out,
                             rune_error *err);
void nn_conv_fast_f32(const nn_conv_params *p, const float *in, const float *wt, const float *bias,
                      float *out, float *acc);
void nn_dwconv_fast_f32(const nn_conv_params *p, const float *in, const float *w, const float *bias,
                        float *out, float *acc);
void nn_fc_fast_f32(int batches, int depth, int units, const float *in, const float *wt,
                    const float *bias, float *out, float *acc, float lo, float hi);
/* Prepare w8/k/k16/bias_fold from [OC][K] int8 weights (conv and FC); the weights stay where
 * they are (in the model's bytes), so the optimized kernels take no RAM for them. */
rune_status nn_pack_weights(nn_model *m, nn_conv_params *p, const int8_t *w, const int32_t *bias,
                            int oc, int k, rune_error *err);
/* 4-row dot products of an int16 patch with int8 weight rows, sign-extended as they are read:
 * acc[r] += sum_k x[k] * w[r*stride + k] for k < n (any n; x holds n rounded up to 8). */
void nn_dot8x4(const int16_t *x, const int8_t *w, int stride, int n, int32_t acc[4]);
int32_t nn_dot8(const int16_t *x, const int8_t *w, int n);

#endif

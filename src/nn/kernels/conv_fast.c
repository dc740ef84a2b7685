/*
 * conv_fast.c - optimized int8 math for CONV_2D (im2col + int16 GEMM), bit-identical to
 * conv_ref.c (depthwise is in dwconv_fast.c), and the int8-weight dot products FULLY_CONNECTED
 * uses.
 *
 * Workload: MobileNet-style models (person_detect: 1x1 pointwise convs carry most of the 7 M MACs).
 * The weights stay int8 where the model holds them (no RAM of their own, as TFLite Micro keeps
 * them in flash); the input offset was folded into the bias at load (acc = sum w*x + bias +
 * in_offset*sum w). The output is made in tiles of up to 32 pixels: their patches are gathered into
 * int16 (taps outside the input hold the input zero point, so (x - zp) contributes 0, rows padded
 * with zeros to a multiple of 8), then for each block of 4 output channels the 4 weight rows are
 * widened to int16 once and run against every patch of the tile. The dot products map onto
 * pmaddwd: with SSE2 a 2-pixel x 4-channel register block, with a portable C twin (the loops
 * gcc/clang vectorize) used elsewhere. Widening once per tile costs 1/tile of what widening in the
 * inner loop did, and the tile's patches (not the layer's weights) are what streams through the
 * cache; the tile shrinks for long patches so that scratch stays near 16 KiB. Integer sums in a
 * different order are the same integers, so results are identical.
 */
#include "kernels_int.h"
#include "requant_sse2.h"

#include <string.h>

#if defined(__SSE2__) && !defined(RUNE_NN_NO_SIMD)
#include <emmintrin.h>
#define NN_SSE2 1
#endif

int32_t nn_dot8(const int16_t *x, const int8_t *w, int n)
{
    uint32_t acc = 0; /* wrapping, as the SIMD form */
    for (int k = 0; k < n; k++)
        acc += (uint32_t)((int32_t)x[k] * w[k]);
    return (int32_t)acc;
}

#ifdef NN_SSE2
static inline __m128i hsum4(__m128i a0, __m128i a1, __m128i a2, __m128i a3)
{
    __m128i s01 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
    __m128i s23 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
    return _mm_add_epi32(_mm_unpacklo_epi64(s01, s23), _mm_unpackhi_epi64(s01, s23));
}
#endif

void nn_dot8x4(const int16_t *x, const int8_t *w, int stride, int n, int32_t acc[4])
{
    int k = 0;
#ifdef NN_SSE2
    __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
    for (; k + 8 <= n; k += 8) {
        __m128i xv = _mm_loadu_si128((const __m128i *)(x + k));
        a0 = _mm_add_epi32(a0, _mm_madd_epi16(xv, nn_widen8(w + k)));
        a1 = _mm_add_epi32(a1, _mm_madd_epi16(xv, nn_widen8(w + stride + k)));
        a2 = _mm_add_epi32(a2, _mm_madd_epi16(xv, nn_widen8(w + 2 * stride + k)));
        a3 = _mm_add_epi32(a3, _mm_madd_epi16(xv, nn_widen8(w + 3 * stride + k)));
    }
    int32_t r[4];
    _mm_storeu_si128((__m128i *)r, hsum4(a0, a1, a2, a3));
    for (int i = 0; i < 4; i++)
        acc[i] = nn_wrap_add(acc[i], r[i]);
#endif
    uint32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; k < n; k++) {
        int32_t xv = x[k];
        t0 += (uint32_t)(xv * w[k]);
        t1 += (uint32_t)(xv * w[stride + k]);
        t2 += (uint32_t)(xv * w[2 * stride + k]);
        t3 += (uint32_t)(xv * w[3 * stride + k]);
    }
    acc[0] = nn_wrap_add(acc[0], (int32_t)t0);
    acc[1] = nn_wrap_add(acc[1], (int32_t)t1);
    acc[2] = nn_wrap_add(acc[2], (int32_t)t2);
    acc[3] = nn_wrap_add(acc[3], (int32_t)t3);
}

/* int16 patches against int16 weight rows widened per tile (n: a multiple of 8). */
static int32_t dot16(const int16_t *x, const int16_t *w, int n)
{
    uint32_t acc = 0; /* wrapping, as the SIMD form */
    for (int k = 0; k < n; k++)
        acc += (uint32_t)((int32_t)x[k] * w[k]);
    return (int32_t)acc;
}

#ifndef NN_SSE2
/* The portable twin of dot16_2x4's SSE2 block, one pixel: acc[r] += sum x[k] * w[r*stride + k]. */
static void dot16x4(const int16_t *x, const int16_t *w, int stride, int n, int32_t acc[4])
{
    uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int k = 0; k < n; k++) {
        int32_t xv = x[k];
        a0 += (uint32_t)(xv * w[k]);
        a1 += (uint32_t)(xv * w[stride + k]);
        a2 += (uint32_t)(xv * w[2 * stride + k]);
        a3 += (uint32_t)(xv * w[3 * stride + k]);
    }
    acc[0] = nn_wrap_add(acc[0], (int32_t)a0);
    acc[1] = nn_wrap_add(acc[1], (int32_t)a1);
    acc[2] = nn_wrap_add(acc[2], (int32_t)a2);
    acc[3] = nn_wrap_add(acc[3], (int32_t)a3);
}
#endif

/* Two pixels' patches (x1 may equal x0 for an odd tail) against 4 weight rows. */
static inline void dot16_2x4(const int16_t *x0, const int16_t *x1, const int16_t *w, int stride,
                             int n, int32_t r0[4], int32_t r1[4])
{
#ifdef NN_SSE2
    __m128i a00 = _mm_setzero_si128(), a01 = a00, a02 = a00, a03 = a00;
    __m128i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    for (int k = 0; k < n; k += 8) {
        __m128i xa = _mm_loadu_si128((const __m128i *)(x0 + k));
        __m128i xb = _mm_loadu_si128((const __m128i *)(x1 + k));
        __m128i w0 = _mm_loadu_si128((const __m128i *)(w + k));
        __m128i w1 = _mm_loadu_si128((const __m128i *)(w + stride + k));
        __m128i w2 = _mm_loadu_si128((const __m128i *)(w + 2 * stride + k));
        __m128i w3 = _mm_loadu_si128((const __m128i *)(w + 3 * stride + k));
        a00 = _mm_add_epi32(a00, _mm_madd_epi16(xa, w0));
        a01 = _mm_add_epi32(a01, _mm_madd_epi16(xa, w1));
        a02 = _mm_add_epi32(a02, _mm_madd_epi16(xa, w2));
        a03 = _mm_add_epi32(a03, _mm_madd_epi16(xa, w3));
        a10 = _mm_add_epi32(a10, _mm_madd_epi16(xb, w0));
        a11 = _mm_add_epi32(a11, _mm_madd_epi16(xb, w1));
        a12 = _mm_add_epi32(a12, _mm_madd_epi16(xb, w2));
        a13 = _mm_add_epi32(a13, _mm_madd_epi16(xb, w3));
    }
    _mm_storeu_si128((__m128i *)r0, hsum4(a00, a01, a02, a03));
    _mm_storeu_si128((__m128i *)r1, hsum4(a10, a11, a12, a13));
#else
    r0[0] = r0[1] = r0[2] = r0[3] = 0;
    r1[0] = r1[1] = r1[2] = r1[3] = 0;
    dot16x4(x0, w, stride, n, r0);
    dot16x4(x1, w, stride, n, r1);
#endif
}

/* Gather the int16 patch of output pixel (b, oy, ox) into x (k16 entries). */
static void im2col(const nn_conv_params *p, const int8_t *in, int b, int oy, int ox, int16_t *x)
{
    int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
    int16_t zp = (int16_t)(-p->in_offset);
    int16_t *d = x;
    for (int ky = 0; ky < p->k_h; ky++) {
        int iy = iy0 + ky * p->dil_h;
        for (int kx = 0; kx < p->k_w; kx++) {
            int ix = ix0 + kx * p->dil_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                for (int ic = 0; ic < p->in_c; ic++)
                    d[ic] = zp;
            } else {
                const int8_t *s = in + (((size_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c;
                for (int ic = 0; ic < p->in_c; ic++)
                    d[ic] = s[ic];
            }
            d += p->in_c;
        }
    }
    for (int k = (int)(d - x); k < p->k16; k++)
        x[k] = 0;
}

/* Output pixels per tile: 32, fewer when patches are long, so that the tile's patches stay within
 * 16 KiB of scratch (an even number, at least 2). */
static int tile_of(const nn_conv_params *p)
{
    int t = (8192 / p->k16) & ~1;
    return t < 2 ? 2 : t > 32 ? 32 : t;
}

size_t nn_conv_fast_scratch(const nn_conv_params *p)
{
    return ((size_t)tile_of(p) + 4) * (size_t)p->k16 * sizeof(int16_t);
}

static void emit(const nn_conv_params *p, const int32_t *r, int oc0, int n, int8_t *o)
{
    for (int j = 0; j < n; j++)
        o[oc0 + j] = nn_requant(p, nn_wrap_add(r[j], p->bias_fold[oc0 + j]), oc0 + j);
}

/* Four output channels' sums (r, before the bias) for one pixel, into o[c0..c0+3]. */
static void emit4(const nn_conv_params *p, const int32_t r[4], int c0, int8_t *o)
{
#ifdef NN_REQUANT4
    if (p->rq4) {
        __m128i bf = _mm_loadu_si128((const __m128i *)(p->bias_fold + c0));
        nn_requant4(p, _mm_add_epi32(_mm_loadu_si128((const __m128i *)r), bf), c0, o + c0);
        return;
    }
#endif
    emit(p, r, c0, 4, o);
}

/* Rows c0..c0+n-1 of the int8 weights [OC][k] as int16 rows of k16, zero-padded. */
static void widen_rows(const nn_conv_params *p, int c0, int n, int16_t *w)
{
    int k = p->k, k16 = p->k16;
    for (int r = 0; r < n; r++) {
        const int8_t *src = p->w8 + (size_t)(c0 + r) * k;
        int16_t *d = w + (size_t)r * k16;
        for (int i = 0; i < k; i++)
            d[i] = src[i];
        for (int i = k; i < k16; i++)
            d[i] = 0;
    }
}

void nn_conv_fast_i8(const nn_conv_params *p, const int8_t *in, int8_t *out, int16_t *scratch)
{
    int k16 = p->k16, n_pix = p->out_h * p->out_w, oc = p->out_c, tile = tile_of(p);
    int16_t *w = scratch, *xs = scratch + 4 * (size_t)k16; /* 4 widened rows, then the patches */
    for (int b = 0; b < p->batches; b++) {
        for (int t0 = 0; t0 < n_pix; t0 += tile) {
            int np = n_pix - t0 < tile ? n_pix - t0 : tile;
            for (int i = 0; i < np; i++)
                im2col(p, in, b, (t0 + i) / p->out_w, (t0 + i) % p->out_w, xs + (size_t)i * k16);
            int8_t *o = out + ((size_t)b * n_pix + t0) * oc;
            int c = 0;
            for (; c + 4 <= oc; c += 4) {
                widen_rows(p, c, 4, w);
                for (int i = 0; i < np; i += 2) {
                    int two = i + 1 < np;
                    const int16_t *x0 = xs + (size_t)i * k16;
                    int32_t r0[4], r1[4];
                    dot16_2x4(x0, two ? x0 + k16 : x0, w, k16, k16, r0, r1);
                    emit4(p, r0, c, o + (size_t)i * oc);
                    if (two) emit4(p, r1, c, o + (size_t)(i + 1) * oc);
                }
            }
            for (; c < oc; c++) {
                widen_rows(p, c, 1, w);
                for (int i = 0; i < np; i++) {
                    int32_t r = dot16(xs + (size_t)i * k16, w, k16);
                    emit(p, &r, c, 1, o + (size_t)i * oc);
                }
            }
        }
    }
}

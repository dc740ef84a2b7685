/*
 * conv_fast.c - optimized int8 math for CONV_2D (im2col + int16 GEMM), bit-identical to
 * conv_ref.c (depthwise is in dwconv_fast.c).
 *
 * Workload: MobileNet-style models (person_detect: 1x1 pointwise convs carry most of the 7 M MACs).
 * Conv: each output pixel's patch is gathered into int16 (taps outside the input hold the input
 * zero point, so (x - zp) contributes 0), and the input offset was folded into the bias at load
 * (acc = sum w*x + bias + in_offset*sum w). The weights stay int8 where the model holds them (no
 * RAM of their own, as TFLite Micro keeps them in flash) and are sign-extended to int16 as they
 * are read, eight at a time; the dot products then map onto pmaddwd: with SSE2 a 2-pixel x
 * 4-channel register block, with a portable C twin (the loops gcc/clang vectorize) used elsewhere
 * and for row tails that are not a multiple of 8. Integer sums in a different order are the same
 * integers, so results are identical.
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

/* Eight int8 weights at w, sign-extended to int16 (SSE2 has no pmovsxbw: each byte is put in the
 * high half of its lane and shifted down arithmetically). */
static inline __m128i widen8(const int8_t *w)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)w);
    return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}
#endif

void nn_dot8x4(const int16_t *x, const int8_t *w, int stride, int n, int32_t acc[4])
{
    int k = 0;
#ifdef NN_SSE2
    __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
    for (; k + 8 <= n; k += 8) {
        __m128i xv = _mm_loadu_si128((const __m128i *)(x + k));
        a0 = _mm_add_epi32(a0, _mm_madd_epi16(xv, widen8(w + k)));
        a1 = _mm_add_epi32(a1, _mm_madd_epi16(xv, widen8(w + stride + k)));
        a2 = _mm_add_epi32(a2, _mm_madd_epi16(xv, widen8(w + 2 * stride + k)));
        a3 = _mm_add_epi32(a3, _mm_madd_epi16(xv, widen8(w + 3 * stride + k)));
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

/* Two pixels' patches (x1 may equal x0 for an odd tail) against 4 weight rows. */
static inline void dot8_2x4(const int16_t *x0, const int16_t *x1, const int8_t *w, int stride,
                            int n, int32_t r0[4], int32_t r1[4])
{
    r0[0] = r0[1] = r0[2] = r0[3] = 0;
    r1[0] = r1[1] = r1[2] = r1[3] = 0;
#ifdef NN_SSE2
    __m128i a00 = _mm_setzero_si128(), a01 = a00, a02 = a00, a03 = a00;
    __m128i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        __m128i xa = _mm_loadu_si128((const __m128i *)(x0 + k));
        __m128i xb = _mm_loadu_si128((const __m128i *)(x1 + k));
        __m128i w0 = widen8(w + k);
        __m128i w1 = widen8(w + stride + k);
        __m128i w2 = widen8(w + 2 * stride + k);
        __m128i w3 = widen8(w + 3 * stride + k);
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
    if (k < n) { /* the tail of a row that is not a multiple of 8 */
        nn_dot8x4(x0 + k, w + k, stride, n - k, r0);
        nn_dot8x4(x1 + k, w + k, stride, n - k, r1);
    }
#else
    nn_dot8x4(x0, w, stride, n, r0);
    nn_dot8x4(x1, w, stride, n, r1);
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

size_t nn_conv_fast_scratch(const nn_conv_params *p)
{
    return 2 * (size_t)p->k16 * sizeof(int16_t);
}

static void emit(const nn_conv_params *p, const int32_t *r, int oc0, int n, int8_t *o)
{
    for (int j = 0; j < n; j++)
        o[oc0 + j] = nn_requant(p, nn_wrap_add(r[j], p->bias_fold[oc0 + j]), oc0 + j);
}

void nn_conv_fast_i8(const nn_conv_params *p, const int8_t *in, int8_t *out, int16_t *scratch)
{
    int16_t *x0 = scratch, *x1 = scratch + p->k16;
    int n_pix = p->out_h * p->out_w, oc = p->out_c, k = p->k;
    for (int b = 0; b < p->batches; b++) {
        for (int pix = 0; pix < n_pix; pix += 2) {
            int two = pix + 1 < n_pix;
            im2col(p, in, b, pix / p->out_w, pix % p->out_w, x0);
            if (two) im2col(p, in, b, (pix + 1) / p->out_w, (pix + 1) % p->out_w, x1);
            int8_t *o0 = out + ((size_t)b * n_pix + pix) * oc, *o1 = o0 + oc;
            int c = 0;
            for (; c + 4 <= oc; c += 4) {
                int32_t r0[4], r1[4];
                dot8_2x4(x0, two ? x1 : x0, p->w8 + (size_t)c * k, k, k, r0, r1);
#ifdef NN_REQUANT4
                if (p->rq4) {
                    __m128i bf = _mm_loadu_si128((const __m128i *)(p->bias_fold + c));
                    nn_requant4(p, _mm_add_epi32(_mm_loadu_si128((const __m128i *)r0), bf), c,
                                o0 + c);
                    if (two)
                        nn_requant4(p, _mm_add_epi32(_mm_loadu_si128((const __m128i *)r1), bf), c,
                                    o1 + c);
                    continue;
                }
#endif
                emit(p, r0, c, 4, o0);
                if (two) emit(p, r1, c, 4, o1);
            }
            for (; c < oc; c++) {
                int32_t r = nn_dot8(x0, p->w8 + (size_t)c * k, k);
                emit(p, &r, c, 1, o0);
                if (two) {
                    r = nn_dot8(x1, p->w8 + (size_t)c * k, k);
                    emit(p, &r, c, 1, o1);
                }
            }
        }
    }
}

/*
 * requant_sse2.h - four int8 requantizations at once with SSE2, exactly nn_requant_ref's result
 * (TFLite's SRDHM then RDBPOT, plus the output offset, clamped). Used by the optimized int8 loops
 * when every channel of the op has a multiplier below one (no left shift), which is the usual case;
 * the constants are per channel, laid out by nn_rq4_prepare (conv_common.c).
 *
 * SSE2 has neither a signed 32x32->64 multiply nor per-lane variable shifts, so:
 * - a * q (q >= 0) is the unsigned product of _mm_mul_epu32 minus q << 32 where a < 0;
 *   SRDHM = (a * q + 2^30) >> 31, taken as bits 31..62 of the 64-bit lanes.
 * - x >> r (arithmetic, r per lane) is ((x + 2^31) * 2^(32 - r)) >> 32 minus 2^(31 - r), by
 *   _mm_mul_epu32 again; r == 0 keeps x. RDBPOT then adds one where the remainder x & (2^r - 1)
 *   exceeds (2^r - 1) / 2 + (x < 0).
 * - the clamp is done before adding the offset, on [act_min - offset, act_max - offset], so no
 *   addition can wrap.
 * test_nn_kernels compares this with nn_requant_ref on random accumulators and multipliers.
 */
#ifndef RUNE_NN_REQUANT_SSE2_H
#define RUNE_NN_REQUANT_SSE2_H

#include "kernels_int.h"

#if defined(__SSE2__) && !defined(RUNE_NN_NO_SIMD)
#include <emmintrin.h>
#include <string.h>
#define NN_REQUANT4 1

static inline __m128i nn_rq4_lo_mask(void)
{
    return _mm_set_epi32(0, -1, 0, -1);
}

/* Signed a * q (q >= 0), + 2^30, >> 31, per 32-bit lane. */
static inline __m128i nn_srdhm4(__m128i a, __m128i q)
{
    const __m128i lo = nn_rq4_lo_mask(), hi = _mm_set_epi32(-1, 0, -1, 0);
    const __m128i half = _mm_set_epi32(0, 1 << 30, 0, 1 << 30);
    __m128i corr = _mm_and_si128(_mm_srai_epi32(a, 31), q);
    __m128i pe = _mm_mul_epu32(a, q);
    __m128i po = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(q, 32));
    pe = _mm_sub_epi64(pe, _mm_slli_epi64(corr, 32));
    po = _mm_sub_epi64(po, _mm_and_si128(corr, hi));
    pe = _mm_add_epi64(pe, half);
    po = _mm_add_epi64(po, half);
    return _mm_or_si128(_mm_and_si128(_mm_srli_epi64(pe, 31), lo),
                        _mm_and_si128(_mm_slli_epi64(po, 1), hi));
}

/* Round-half-away-from-zero x / 2^r per lane, from the prepared constants. */
static inline __m128i nn_rdbpot4(__m128i x, __m128i m, __m128i bias, __m128i keep, __m128i mask,
                                 __m128i half)
{
    const __m128i lo = nn_rq4_lo_mask();
    __m128i u = _mm_xor_si128(x, _mm_set1_epi32(INT32_MIN));
    __m128i pe = _mm_srli_epi64(_mm_mul_epu32(u, m), 32);
    __m128i po = _mm_mul_epu32(_mm_srli_epi64(u, 32), _mm_srli_epi64(m, 32));
    __m128i q = _mm_or_si128(_mm_and_si128(pe, lo), _mm_andnot_si128(lo, po));
    q = _mm_sub_epi32(q, bias);
    q = _mm_or_si128(_mm_and_si128(keep, x), _mm_andnot_si128(keep, q));
    __m128i rem = _mm_and_si128(x, mask);
    __m128i thr = _mm_sub_epi32(half, _mm_srai_epi32(x, 31));
    return _mm_sub_epi32(q, _mm_cmpgt_epi32(rem, thr));
}

/* Requantize four accumulators of channels c..c+3 and store them as int8 at out. */
static inline void nn_requant4(const nn_conv_params *p, __m128i acc, int c, int8_t *out)
{
    const nn_rq4 *r = p->rq4;
    __m128i s = nn_srdhm4(acc, _mm_loadu_si128((const __m128i *)(r->mult + c)));
    __m128i v = nn_rdbpot4(s, _mm_loadu_si128((const __m128i *)(r->m + c)),
                           _mm_loadu_si128((const __m128i *)(r->bias + c)),
                           _mm_loadu_si128((const __m128i *)(r->keep + c)),
                           _mm_loadu_si128((const __m128i *)(r->mask + c)),
                           _mm_loadu_si128((const __m128i *)(r->half + c)));
    __m128i lo = _mm_set1_epi32(p->act_min - p->out_offset);
    __m128i hi = _mm_set1_epi32(p->act_max - p->out_offset);
    __m128i below = _mm_cmpgt_epi32(lo, v);
    v = _mm_or_si128(_mm_and_si128(below, lo), _mm_andnot_si128(below, v));
    __m128i above = _mm_cmpgt_epi32(v, hi);
    v = _mm_or_si128(_mm_and_si128(above, hi), _mm_andnot_si128(above, v));
    v = _mm_add_epi32(v, _mm_set1_epi32(p->out_offset));
    v = _mm_packs_epi32(v, v);
    v = _mm_packs_epi16(v, v);
    int32_t word = _mm_cvtsi128_si32(v);
    memcpy(out, &word, 4);
}
#endif

#endif

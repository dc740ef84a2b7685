/*
 * dwconv_fast.c - optimized int8 DEPTHWISE_CONV_2D, bit-identical to nn_dwconv_ref_i8 (conv_ref.c).
 *
 * Workload: MobileNet depthwise layers (3x3, stride 1 or 2, 8..256 channels) and the first layer of
 * person_detect / the micro_speech layer (one input channel, depth multiplier 8). For each output
 * row the k_h input rows it reads are rebuilt in scratch as int16 with the input offset already
 * added, zero where the window hangs over the border (a tap outside the input contributes nothing,
 * as in the reference), and expanded by the depth multiplier so that channel c of the row pairs
 * with output channel c. Every tap is then in bounds and the inner loop is a plain
 * acc[c] += x[c] * w[c] over channels: with SSE2 eight channels at a time in registers
 * (mullo/mulhi + unpack give exact 32-bit products), with a portable C twin elsewhere. The
 * weights are the model's int8 [KH*KW][OC], read in place and sign-extended eight at a time.
 */
#include "kernels_int.h"
#include "requant_sse2.h"

#include <string.h>

#if defined(__SSE2__) && !defined(RUNE_NN_NO_SIMD)
#include <emmintrin.h>
#define NN_SSE2 1
#endif

/* Padded width: input columns the output row's windows span. */
static size_t padded_width(const nn_conv_params *p)
{
    return (size_t)(p->out_w - 1) * p->stride_w + (size_t)(p->k_w - 1) * p->dil_w + 1;
}

size_t nn_dwconv_fast_scratch(const nn_conv_params *p)
{
    return (size_t)p->k_h * padded_width(p) * (size_t)p->out_c * sizeof(int16_t) + 16;
}

rune_status nn_dwconv_pack(nn_model *m, nn_conv_params *p, const int8_t *w, rune_error *err)
{
    (void)m;
    if (!w) return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "filter must be a constant");
    p->w8 = w; /* read in place, widened as the loop reads it */
    return RUNE_OK;
}

/* Input row iy of batch b as padded, offset, depth-expanded int16 (wp columns of out_c). */
static void build_row(const nn_conv_params *p, const int8_t *in, int b, int iy, size_t wp,
                      int16_t *r)
{
    int C = p->out_c, dm = p->depth_mult;
    if (iy < 0 || iy >= p->in_h) {
        memset(r, 0, wp * (size_t)C * sizeof(int16_t));
        return;
    }
    const int8_t *row = in + ((size_t)b * p->in_h + iy) * p->in_w * p->in_c;
    for (size_t j = 0; j < wp; j++) {
        int ix = (int)j - p->pad_w;
        int16_t *d = r + j * (size_t)C;
        if (ix < 0 || ix >= p->in_w) {
            memset(d, 0, (size_t)C * sizeof(int16_t));
        } else if (dm == 1) {
            const int8_t *s = row + (size_t)ix * p->in_c;
            for (int c = 0; c < C; c++)
                d[c] = (int16_t)(s[c] + p->in_offset);
        } else {
            const int8_t *s = row + (size_t)ix * p->in_c;
            for (int ic = 0; ic < p->in_c; ic++) {
                int16_t v = (int16_t)(s[ic] + p->in_offset);
                for (int m = 0; m < dm; m++)
                    d[ic * dm + m] = v;
            }
        }
    }
}

void nn_dwconv_fast_i8(const nn_conv_params *p, const int8_t *in, const int32_t *bias, int8_t *out,
                       void *scratch)
{
    int C = p->out_c, kh = p->k_h, kw = p->k_w;
    size_t wp = padded_width(p), row_len = wp * (size_t)C;
    int16_t *rows = scratch;
    const int8_t *w8 = p->w8;
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++) {
            for (int ky = 0; ky < kh; ky++)
                build_row(p, in, b, oy * p->stride_h - p->pad_h + ky * p->dil_h, wp,
                          rows + (size_t)ky * row_len);
            int8_t *o = out + ((size_t)b * p->out_h + oy) * p->out_w * (size_t)C;
            for (int ox = 0; ox < p->out_w; ox++, o += C) {
                const int16_t *x0 = rows + (size_t)ox * p->stride_w * C;
                int c = 0;
#ifdef NN_SSE2
                for (; c + 8 <= C; c += 8) {
                    __m128i a0 =
                        bias ? _mm_loadu_si128((const __m128i *)(bias + c)) : _mm_setzero_si128();
                    __m128i a1 = bias ? _mm_loadu_si128((const __m128i *)(bias + c + 4))
                                      : _mm_setzero_si128();
                    for (int ky = 0; ky < kh; ky++) {
                        const int16_t *xr = x0 + (size_t)ky * row_len + c;
                        const int8_t *wr = w8 + (size_t)ky * kw * C + c;
                        for (int kx = 0; kx < kw; kx++) {
                            __m128i xv =
                                _mm_loadu_si128((const __m128i *)(xr + (size_t)kx * p->dil_w * C));
                            __m128i wv = nn_widen8(wr + (size_t)kx * C);
                            __m128i lo = _mm_mullo_epi16(xv, wv), hi = _mm_mulhi_epi16(xv, wv);
                            a0 = _mm_add_epi32(a0, _mm_unpacklo_epi16(lo, hi));
                            a1 = _mm_add_epi32(a1, _mm_unpackhi_epi16(lo, hi));
                        }
                    }
#ifdef NN_REQUANT4
                    if (p->rq4) {
                        nn_requant4(p, a0, c, o + c);
                        nn_requant4(p, a1, c + 4, o + c + 4);
                        continue;
                    }
#endif
                    int32_t acc[8];
                    _mm_storeu_si128((__m128i *)acc, a0);
                    _mm_storeu_si128((__m128i *)(acc + 4), a1);
                    for (int j = 0; j < 8; j++)
                        o[c + j] = nn_requant(p, acc[j], c + j);
                }
#endif
                for (; c < C; c++) {
                    uint32_t acc = bias ? (uint32_t)bias[c] : 0; /* wrapping, as the SIMD form */
                    for (int ky = 0; ky < kh; ky++) {
                        const int16_t *xr = x0 + (size_t)ky * row_len + c;
                        const int8_t *wr = w8 + (size_t)ky * kw * C + c;
                        for (int kx = 0; kx < kw; kx++)
                            acc += (uint32_t)((int32_t)xr[(size_t)kx * p->dil_w * C] *
                                              wr[(size_t)kx * C]);
                    }
                    o[c] = nn_requant(p, (int32_t)acc, c);
                }
            }
        }
}

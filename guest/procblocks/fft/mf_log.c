/*
 * mf_log.c - the log scale of the microfrontend: a fixed-point natural log in 16.16.
 *
 * Workload: num_channels values per window. log2 is split into its integer part (the bit count)
 * and a fraction corrected by a 128-segment table of log2(1 + f) - f, interpolated linearly; the
 * result is multiplied by ln 2 and scaled by 2^scale_shift, saturating to 16 bits.
 */
#include <math.h>

#include "mf_int.h"

void mf_log_init(rune_pb_fft *st)
{
    const int segs = 1 << MF_LOG_SEGMENTS_LOG2;
    for (int i = 0; i <= segs; i++) {
        const double f = (double)i / segs;
        st->log_lut[i] = (uint16_t)floor(65536.0 * (log2(1.0 + f) - f) + 0.5);
    }
    for (int i = segs + 1; i < RUNE_PB_FFT_LOG_LUT; i++)
        st->log_lut[i] = 0;
}

static uint32_t log2_fraction(const uint16_t *lut, uint32_t x, uint32_t log2x)
{
    int32_t frac = (int32_t)(x - ((uint32_t)1 << log2x));
    if (log2x < MF_LOG_SCALE_LOG2)
        frac = (int32_t)((uint32_t)frac << (MF_LOG_SCALE_LOG2 - log2x));
    else
        frac >>= log2x - MF_LOG_SCALE_LOG2;
    const uint32_t seg = (uint32_t)frac >> (MF_LOG_SCALE_LOG2 - MF_LOG_SEGMENTS_LOG2);
    const uint32_t seg_unit = ((uint32_t)1 << MF_LOG_SCALE_LOG2) >> MF_LOG_SEGMENTS_LOG2;
    const int32_t c0 = lut[seg], c1 = lut[seg + 1];
    const int32_t rel = ((c1 - c0) * (frac - (int32_t)(seg_unit * seg))) >> MF_LOG_SCALE_LOG2;
    return (uint32_t)(frac + c0 + rel);
}

static uint32_t log_q(const uint16_t *lut, uint32_t x, int scale_shift)
{
    const uint32_t integer = (uint32_t)mf_bits(x) - 1;
    const uint32_t log2v = (integer << MF_LOG_SCALE_LOG2) + log2_fraction(lut, x, integer);
    const uint32_t round = (1u << MF_LOG_SCALE_LOG2) / 2;
    const uint32_t loge = (uint32_t)(((uint64_t)MF_LOG_COEFF * log2v + round) >> MF_LOG_SCALE_LOG2);
    return ((loge << scale_shift) + round) >> MF_LOG_SCALE_LOG2;
}

void mf_log_apply(rune_pb_fft *st, uint16_t *out)
{
    const int correction = mf_bits((uint32_t)st->fft_size) - 1 - MF_FILTERBANK_BITS / 2;
    for (int c = 0; c < st->num_channels; c++) {
        uint32_t v = st->signal[c];
        if (st->enable_log) {
            v = correction < 0 ? v >> -correction : v << correction;
            v = v > 1 ? log_q(st->log_lut, v, st->scale_shift) : 0;
        }
        out[c] = (uint16_t)(v < 0xFFFF ? v : 0xFFFF);
    }
}

/*
 * mf_noise.c - noise reduction (spectral subtraction) and PCAN gain control of the microfrontend.
 *
 * Workload: num_channels values per window. Noise reduction keeps a per-channel running estimate of
 * the stationary noise (scaled up by smoothing_bits, smoothed with a Q14 coefficient that differs
 * for even and odd channels) and subtracts it, keeping at least min_signal_remaining of the
 * signal. PCAN ("per-channel amplitude normalization") divides each channel by a power of its
 * noise estimate, looked up in a piecewise-quadratic table over the estimate's magnitude, then
 * compresses the result. All integer, as TensorFlow defines it.
 */
#include <math.h>

#include "mf_int.h"

void mf_noise_reduce(rune_pb_fft *st)
{
    const int bits = st->smoothing_bits;
    for (int c = 0; c < st->num_channels; c++) {
        const uint32_t smooth = (c & 1) ? st->odd_smoothing : st->even_smoothing;
        const uint32_t keep = (1u << MF_NOISE_BITS) - smooth;
        const uint32_t scaled = st->signal[c] << bits;
        uint32_t est =
            (uint32_t)(((uint64_t)scaled * smooth + (uint64_t)st->noise_estimate[c] * keep) >>
                       MF_NOISE_BITS);
        st->noise_estimate[c] = est;
        if (est > scaled) est = scaled;
        const uint32_t floor_v =
            (uint32_t)(((uint64_t)st->signal[c] * st->min_signal_remaining) >> MF_NOISE_BITS);
        const uint32_t sub = (scaled - est) >> bits;
        st->signal[c] = sub > floor_v ? sub : floor_v;
    }
}

/* gain(x) = 2^gain_bits * (x / 2^input_bits + offset)^-strength, saturated to int16. */
static int16_t pcan_gain(float strength, float offset, int gain_bits, int input_bits, uint32_t x)
{
    const float xf = (float)x / (float)((uint32_t)1 << input_bits);
    const float g = (float)((uint32_t)1 << gain_bits) * powf(xf + offset, -strength);
    if (g > 32767.0f) return 32767;
    return (int16_t)(g + 0.5f);
}

void mf_pcan_init(rune_pb_fft *st, float strength, float offset, int gain_bits)
{
    /* The filterbank output carries fft bits beyond Q(filterbank/2); PCAN corrects for them. */
    const int correction = mf_bits((uint32_t)st->fft_size) - 1 - MF_FILTERBANK_BITS / 2;
    const int input_bits = st->smoothing_bits - correction;
    st->snr_shift = gain_bits - correction - MF_PCAN_SNR_BITS;
    int16_t *lut = st->pcan_lut;
    lut[0] = pcan_gain(strength, offset, gain_bits, input_bits, 0);
    lut[1] = pcan_gain(strength, offset, gain_bits, input_bits, 1);
    /* Interval i covers [2^(i-1), 2^i): y0 at its start, and a1, a2 of the quadratic through the
     * start, the middle and the end, stored at 4i-6 .. 4i-4. */
    for (int i = 2; i <= 32; i++) {
        const uint32_t x0 = (uint32_t)1 << (i - 1);
        const uint32_t x1 = x0 + (x0 >> 1);
        const uint32_t x2 = (i == 32) ? x0 + (x0 - 1) : 2 * x0;
        const int16_t y0 = pcan_gain(strength, offset, gain_bits, input_bits, x0);
        const int16_t y1 = pcan_gain(strength, offset, gain_bits, input_bits, x1);
        const int16_t y2 = pcan_gain(strength, offset, gain_bits, input_bits, x2);
        const int32_t d1 = (int32_t)y1 - y0, d2 = (int32_t)y2 - y0;
        const int32_t a1 = 4 * d1 - d2;
        lut[4 * i - 6] = y0;
        lut[4 * i - 5] = (int16_t)a1;
        lut[4 * i - 4] = (int16_t)(d2 - a1);
    }
}

static int16_t pcan_lookup(const int16_t *lut, uint32_t x)
{
    if (x <= 2) return lut[x];
    const int i = mf_bits(x);
    const int16_t *seg = lut + 4 * i - 6;
    const int32_t frac =
        (int32_t)(((i < 11) ? (x << (11 - i)) : (x >> (i - 11))) & 0x3FF); /* Q10 position */
    int32_t r = ((int32_t)seg[2] * frac) >> 5;
    r += (int32_t)((uint32_t)(int32_t)seg[1] << 5);
    r *= frac;
    r = (r + (1 << 14)) >> 15;
    r += seg[0];
    return (int16_t)r;
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << MF_PCAN_SNR_BITS))
        return (x * x) >> (2 + 2 * MF_PCAN_SNR_BITS - MF_PCAN_OUTPUT_BITS);
    return (x >> (MF_PCAN_SNR_BITS - MF_PCAN_OUTPUT_BITS)) - (1u << MF_PCAN_OUTPUT_BITS);
}

void mf_pcan_apply(rune_pb_fft *st)
{
    for (int c = 0; c < st->num_channels; c++) {
        const uint32_t gain = (uint32_t)(int32_t)pcan_lookup(st->pcan_lut, st->noise_estimate[c]);
        const uint32_t snr = (uint32_t)(((uint64_t)st->signal[c] * gain) >> st->snr_shift);
        st->signal[c] = pcan_shrink(snr);
    }
}

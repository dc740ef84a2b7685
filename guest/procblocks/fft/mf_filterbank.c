/*
 * mf_filterbank.c - the mel filterbank of the microfrontend: power spectrum, triangular mel
 * channels in Q12, and a rounded integer square root.
 *
 * Workload: fft_size/2 + 1 bins into up to RUNE_PB_FFT_MAX_CHANNELS channels per window. The layout
 * is computed once in float exactly as TensorFlow computes it (float mel values from a double
 * log1p, float bin spacing), so every bin lands in the same channel with the same weight. Each bin
 * between two channel centres contributes weight * energy to the channel above and
 * (1 - weight) * energy to the next one; accumulation is exact in 64 bits.
 */
#include <math.h>

#include "mf_int.h"

static float freq_to_mel(float hz)
{
    return (float)(1127.0 * log1p(hz / 700.0));
}

int mf_filterbank_init(rune_pb_fft *st, float lower_hz, float upper_hz, const char **why)
{
    const int nch = st->num_channels + 1; /* plus the half band below the first centre */
    const int spectrum_size = st->fft_size / 2 + 1;
    float centre[RUNE_PB_FFT_MAX_CHANNELS + 1];

    const float mel_low = freq_to_mel(lower_hz);
    const float mel_span = freq_to_mel(upper_hz) - mel_low;
    const float mel_spacing = mel_span / (float)nch;
    for (int c = 0; c < nch; c++)
        centre[c] = mel_low + mel_spacing * (float)(c + 1);

    const float hz_per_bin = (float)(0.5 * st->sample_rate / ((float)spectrum_size - 1));
    st->start_bin = (int)(1.5 + lower_hz / hz_per_bin); /* always skips DC */
    st->end_bin = st->start_bin;

    int bin = st->start_bin;
    for (int c = 0; c < nch; c++) {
        const float below = c == 0 ? mel_low : centre[c - 1];
        if (!(centre[c] > below)) {
            *why = "the band is too narrow for num_channels distinct mel channels";
            return 0;
        }
        while (bin < spectrum_size && freq_to_mel((float)bin * hz_per_bin) <= centre[c]) {
            const float w =
                (centre[c] - freq_to_mel((float)bin * hz_per_bin)) / (centre[c] - below);
            st->bin_chan[bin] = (uint8_t)c;
            st->weight[bin] = (int16_t)floor((double)(w * (float)(1 << MF_FILTERBANK_BITS)) + 0.5);
            st->unweight[bin] = (int16_t)floor((1.0 - w) * (1 << MF_FILTERBANK_BITS) + 0.5);
            bin++;
        }
        if (bin >= spectrum_size) {
            /* TensorFlow refuses a layout whose last channel reaches the top bin. */
            *why = "upper_band_limit reaches the Nyquist frequency for this sample_rate";
            return 0;
        }
    }
    st->end_bin = bin;
    return 1;
}

/* Integer square root rounded to nearest (ties up), saturating like TensorFlow's. */
static uint32_t sqrt_round(uint64_t n)
{
    if (n == 0) return 0;
    uint64_t rem = n, res = 0, bit = (uint64_t)1 << 62;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (rem >= res + bit) {
            rem -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    /* res = floor(sqrt(n)), rem = n - res^2: round up when rem > res. TensorFlow computes values
     * below 2^32 with a 16-bit result, so it cannot round 65535 up there. */
    const uint64_t cap = (n >> 32) == 0 ? 0xFFFFu : 0xFFFFFFFFu;
    if (rem > res && res != cap) res++;
    return (uint32_t)res;
}

void mf_filterbank_run(rune_pb_fft *st, int shift)
{
    const int nch = st->num_channels + 1;
    for (int c = 0; c < nch; c++)
        st->work[c] = 0;
    for (int b = st->start_bin; b < st->end_bin; b++) {
        const int32_t re = st->spectrum[b].r, im = st->spectrum[b].i;
        /* The energy is an int32 in TensorFlow; a full-scale bin wraps negative and is then
         * sign-extended into the 64-bit sum. Reproduced, not improved. */
        const int32_t energy = (int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
        const uint64_t e = (uint64_t)(int64_t)energy;
        const int c = st->bin_chan[b];
        st->work[c] += (uint64_t)st->weight[b] * e;
        st->work[c + 1] += (uint64_t)st->unweight[b] * e;
    }
    for (int c = 0; c < st->num_channels; c++)
        st->signal[c] = sqrt_round(st->work[c + 1]) >> shift;
}

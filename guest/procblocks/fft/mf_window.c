/*
 * mf_window.c - the Hann window of the microfrontend, in Q12 fixed point.
 *
 * Workload: one window of up to RUNE_PB_FFT_MAX_WINDOW int16 samples every step (480 samples every
 * 20 ms for micro_speech). The coefficients are computed once in float exactly as TensorFlow does
 * (float phase step, double cosine, float value, rounded to Q12), so they match its table.
 */
#include <math.h>

#include "mf_int.h"

void mf_window_init(rune_pb_fft *st)
{
    const float step = (float)(3.14159265358979323846 * 2.0 / (float)st->window_size);
    for (int i = 0; i < st->window_size; i++) {
        const float v = (float)(0.5 - 0.5 * cos((double)step * (i + 0.5)));
        st->window[i] = (int16_t)floor((double)(v * (float)(1 << MF_WINDOW_BITS)) + 0.5);
    }
}

int mf_window_apply(rune_pb_fft *st)
{
    int16_t max_abs = 0;
    int16_t *out = st->fft_in;
    for (int i = 0; i < st->window_size; i++) {
        int16_t v = (int16_t)(((int32_t)st->input[i] * st->window[i]) >> MF_WINDOW_BITS);
        out[i] = v;
        int16_t a = (int16_t)(v < 0 ? -v : v); /* -32768 stays negative, as in int16 */
        if (a > max_abs) max_abs = a;
    }
    /* Scale up so the fixed-point FFT keeps as many bits as the loudest sample allows. */
    const int shift = 15 - mf_bits((uint32_t)max_abs);
    for (int i = 0; i < st->window_size; i++)
        out[i] = (int16_t)(uint16_t)((uint16_t)out[i] << shift);
    for (int i = st->window_size; i < st->fft_size; i++)
        out[i] = 0;
    return shift;
}

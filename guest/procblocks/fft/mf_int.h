/*
 * mf_int.h - internals of the "fft" proc block: the stages of TensorFlow's microfrontend audio
 * feature generator, each in its own file, all working on the rune_pb_fft state.
 *
 * The arithmetic follows TensorFlow's fixed-point definitions bit for bit (window Q12, 16-bit
 * KISS-style FFT with per-stage scaling, Q12 mel weights, Q14 noise smoothing, PCAN with a
 * piecewise-quadratic gain table, 16.16 log), because the micro_speech model was trained on
 * exactly those numbers: a float re-derivation gives features a few units off.
 */
#ifndef RUNE_GUEST_MF_INT_H
#define RUNE_GUEST_MF_INT_H

#include <stdint.h>

#include "rune_procblocks.h"

#define MF_WINDOW_BITS 12
#define MF_FILTERBANK_BITS 12
#define MF_NOISE_BITS 14
#define MF_PCAN_SNR_BITS 12
#define MF_PCAN_OUTPUT_BITS 6
#define MF_LOG_SCALE_LOG2 16
#define MF_LOG_SEGMENTS_LOG2 7
#define MF_LOG_COEFF 45426 /* round(65536 * ln 2) */

/* Number of significant bits of x (0 for 0): 1 -> 1, 512 -> 10. */
static inline int mf_bits(uint32_t x)
{
    int n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

/* mf_window.c: Hann coefficients; apply the window to st->input, leaving the shifted FFT input in
 * st->fft_in; returns the shift applied (so the filterbank can undo it). */
void mf_window_init(rune_pb_fft *st);
int mf_window_apply(rune_pb_fft *st);

/* mf_fft.c: twiddles and radix plan for st->fft_size; real FFT of st->fft_in into st->spectrum
 * (fft_size / 2 + 1 bins). 0 if the size is not supported. */
int mf_fft_init(rune_pb_fft *st);
void mf_fft_run(rune_pb_fft *st);

/* mf_filterbank.c: mel channel layout and weights; energy, accumulation and square root into
 * st->signal (scaled back down by shift). Init returns 0 with a reason if the layout does not fit.
 */
int mf_filterbank_init(rune_pb_fft *st, float lower_hz, float upper_hz, const char **why);
void mf_filterbank_run(rune_pb_fft *st, int shift);

/* mf_noise.c: noise reduction (spectral subtraction) and PCAN gain control on st->signal. */
void mf_noise_reduce(rune_pb_fft *st);
void mf_pcan_init(rune_pb_fft *st, float strength, float offset, int gain_bits);
void mf_pcan_apply(rune_pb_fft *st);

/* mf_log.c: the log table; log scale st->signal into out (16-bit). */
void mf_log_init(rune_pb_fft *st);
void mf_log_apply(rune_pb_fft *st, uint16_t *out);

#endif

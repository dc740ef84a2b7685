/*
 * fft.c - the "fft" proc block (runicos/fft): audio samples in, micro_speech features out, or,
 * for inputs shorter than one window (or mode=spectrum), the plain magnitude spectrum
 * (spectrum.c).
 *
 * Workload: 1 s of 16 kHz i16 audio per call -> 49 frames x 40 channels (1960 int8), i.e. 49
 * windows of 480 samples every 320. Argument parsing and table set-up happen once at init; the
 * transform only runs the fixed-point stages in mf_*.c over the caller's buffers. Defaults are the
 * micro_speech settings of TensorFlow Lite Micro's example.
 */
#include <string.h>

#include "mf_int.h"

static const char *const fft_args[] = {"sample_rate",
                                       "window_size_ms",
                                       "window_step_ms",
                                       "num_channels",
                                       "lower_band_limit",
                                       "upper_band_limit",
                                       "smoothing_bits",
                                       "even_smoothing",
                                       "odd_smoothing",
                                       "min_signal_remaining",
                                       "enable_pcan",
                                       "strength",
                                       "offset",
                                       "gain_bits",
                                       "enable_log",
                                       "scale_shift",
                                       "output",
                                       "streaming",
                                       "hz",
                                       "mode",
                                       NULL};

#define TRY(x)                                                                                     \
    do {                                                                                           \
        rune_status st_ = (x);                                                                     \
        if (st_ != RUNE_OK) return st_;                                                            \
    } while (0)

rune_status rune_pb_fft_init(rune_pb_fft *st, const rune_pb_arg *args, size_t nargs,
                             rune_error *err)
{
    static const char B[] = "fft";
    long rate, win_ms, step_ms, nch, sbits, gain_bits, scale_shift;
    double lower, upper, even, odd, min_keep, strength, offset;
    int pcan, logv, streaming;
    if (!st) return RUNE_ERR(err, RUNE_E_ARG, "fft: no state");
    memset(st, 0, sizeof *st);
    TRY(rune_pb_args_check(B, args, nargs, fft_args, err));
    /* "hz" is how the Rune paper's Runefiles spell the sample rate. */
    if (rune_pb_arg_get(args, nargs, "hz") && rune_pb_arg_get(args, nargs, "sample_rate"))
        return RUNE_ERR(err, RUNE_E_ARG, "fft: give sample_rate or hz, not both");
    TRY(rune_pb_arg_int(B, args, nargs, rune_pb_arg_get(args, nargs, "hz") ? "hz" : "sample_rate",
                        16000, 1000, 192000, &rate, err));
    TRY(rune_pb_arg_int(B, args, nargs, "window_size_ms", 30, 1, 1000, &win_ms, err));
    TRY(rune_pb_arg_int(B, args, nargs, "window_step_ms", 20, 1, 1000, &step_ms, err));
    TRY(rune_pb_arg_int(B, args, nargs, "num_channels", 40, 1, RUNE_PB_FFT_MAX_CHANNELS, &nch,
                        err));
    TRY(rune_pb_arg_float(B, args, nargs, "lower_band_limit", 125.0, 0.0, 96000.0, &lower, err));
    TRY(rune_pb_arg_float(B, args, nargs, "upper_band_limit", 7500.0, 0.0, 96000.0, &upper, err));
    TRY(rune_pb_arg_int(B, args, nargs, "smoothing_bits", 10, 0, 16, &sbits, err));
    TRY(rune_pb_arg_float(B, args, nargs, "even_smoothing", 0.025, 0.0, 1.0, &even, err));
    TRY(rune_pb_arg_float(B, args, nargs, "odd_smoothing", 0.06, 0.0, 1.0, &odd, err));
    TRY(rune_pb_arg_float(B, args, nargs, "min_signal_remaining", 0.05, 0.0, 1.0, &min_keep, err));
    TRY(rune_pb_arg_bool(B, args, nargs, "enable_pcan", 1, &pcan, err));
    TRY(rune_pb_arg_float(B, args, nargs, "strength", 0.95, 0.0, 10.0, &strength, err));
    TRY(rune_pb_arg_float(B, args, nargs, "offset", 80.0, 0.001, 1e9, &offset, err));
    TRY(rune_pb_arg_int(B, args, nargs, "gain_bits", 21, 0, 30, &gain_bits, err));
    TRY(rune_pb_arg_bool(B, args, nargs, "enable_log", 1, &logv, err));
    TRY(rune_pb_arg_int(B, args, nargs, "scale_shift", 6, 0, 15, &scale_shift, err));
    TRY(rune_pb_arg_bool(B, args, nargs, "streaming", 0, &streaming, err));

    const char *mode = rune_pb_arg_get(args, nargs, "mode");
    if (!mode || strcmp(mode, "auto") == 0)
        st->mode = RUNE_PB_FFT_MODE_AUTO;
    else if (strcmp(mode, "frontend") == 0)
        st->mode = RUNE_PB_FFT_MODE_FRONTEND;
    else if (strcmp(mode, "spectrum") == 0)
        st->mode = RUNE_PB_FFT_MODE_SPECTRUM;
    else
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: argument mode=\"%s\" is not one of auto, frontend, spectrum", mode);
    if (st->mode == RUNE_PB_FFT_MODE_SPECTRUM && streaming)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: streaming=true is for the front end; mode=spectrum transforms each "
                        "input on its own");

    const char *out = rune_pb_arg_get(args, nargs, "output");
    st->output_given = out != NULL;
    if (!out || strcmp(out, "i8") == 0)
        st->output = RUNE_PB_FFT_OUT_I8;
    else if (strcmp(out, "u16") == 0)
        st->output = RUNE_PB_FFT_OUT_U16;
    else if (strcmp(out, "f32") == 0)
        st->output = RUNE_PB_FFT_OUT_F32;
    else
        return RUNE_ERR(err, RUNE_E_ARG, "fft: argument output=\"%s\" is not one of i8, u16, f32",
                        out);
    if (st->mode == RUNE_PB_FFT_MODE_SPECTRUM && out && st->output != RUNE_PB_FFT_OUT_F32)
        return RUNE_ERR(err, RUNE_E_ARG, "fft: mode=spectrum gives f32; output=%s is not possible",
                        out);

    st->sample_rate = (int)rate;
    st->window_size = (int)(win_ms * rate / 1000);
    st->window_step = (int)(step_ms * rate / 1000);
    if (st->window_size < 2 || st->window_size > RUNE_PB_FFT_MAX_WINDOW)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: a window of %ld ms at %ld Hz is %d samples; 2..%d are supported",
                        win_ms, rate, st->window_size, RUNE_PB_FFT_MAX_WINDOW);
    if (st->window_step < 1 || st->window_step > st->window_size)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: window_step_ms=%ld must give 1..%d samples (at most the window)",
                        step_ms, st->window_size);
    if (!(lower < upper) || upper > rate / 2.0)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: band %g..%g Hz must be increasing and below %g Hz (half of "
                        "sample_rate)",
                        lower, upper, rate / 2.0);
    st->fft_size = 1;
    while (st->fft_size < st->window_size)
        st->fft_size <<= 1;
    if (st->fft_size < 4) st->fft_size = 4;

    const int correction = mf_bits((uint32_t)st->fft_size) - 1 - MF_FILTERBANK_BITS / 2;
    if (pcan && (sbits < correction || gain_bits - correction - MF_PCAN_SNR_BITS < 0))
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: with a %d-point FFT, PCAN needs smoothing_bits >= %d and gain_bits "
                        ">= %d",
                        st->fft_size, correction, correction + MF_PCAN_SNR_BITS);

    st->num_channels = (int)nch;
    st->smoothing_bits = (int)sbits;
    /* TensorFlow keeps these as float and converts to Q14 by truncation. */
    st->even_smoothing = (uint16_t)((float)even * (1 << MF_NOISE_BITS));
    st->odd_smoothing = (uint16_t)((float)odd * (1 << MF_NOISE_BITS));
    st->min_signal_remaining = (uint16_t)((float)min_keep * (1 << MF_NOISE_BITS));
    st->enable_pcan = pcan;
    st->enable_log = logv;
    st->scale_shift = (int)scale_shift;
    st->streaming = streaming;

    mf_window_init(st);
    if (!mf_fft_init(st))
        return RUNE_ERR(err, RUNE_E_ARG, "fft: FFT size %d is not supported", st->fft_size);
    const char *why = "";
    if (!mf_filterbank_init(st, (float)lower, (float)upper, &why))
        return RUNE_ERR(err, RUNE_E_ARG, "fft: %s", why);
    if (pcan) mf_pcan_init(st, (float)strength, (float)offset, (int)gain_bits);
    mf_log_init(st);
    rune_pb_fft_reset(st);
    return RUNE_OK;
}

void rune_pb_fft_reset(rune_pb_fft *st)
{
    memset(st->input, 0, sizeof st->input);
    st->input_used = 0;
    memset(st->noise_estimate, 0, sizeof st->noise_estimate);
}

void rune_pb_fft_set_noise_estimates(rune_pb_fft *st, const uint32_t *est)
{
    for (int c = 0; c < st->num_channels; c++)
        st->noise_estimate[c] = est[c];
}

size_t rune_pb_fft_frames(const rune_pb_fft *st, size_t n)
{
    if (n < (size_t)st->window_size) return 0;
    return (n - (size_t)st->window_size) / (size_t)st->window_step + 1;
}

int8_t rune_pb_fft_quantize_i8(uint16_t v)
{
    /* features / 25.6 are what the model was trained on, and its input scale maps 0..26 to
     * -128..127: q = v * 256 / 666 - 128 in integers, rounded. */
    int32_t q = ((int32_t)v * 256 + 666 / 2) / 666 - 128;
    if (q < -128) q = -128;
    if (q > 127) q = 127;
    return (int8_t)q;
}

int rune_pb_fft_push(rune_pb_fft *st, const int16_t *samples, size_t n, size_t *used,
                     uint16_t *frame)
{
    size_t take = (size_t)(st->window_size - st->input_used);
    if (take > n) take = n;
    if (take) memcpy(st->input + st->input_used, samples, take * sizeof *samples);
    st->input_used += (int)take;
    *used = take;
    if (st->input_used < st->window_size) return 0;

    const int shift = mf_window_apply(st);
    memmove(st->input, st->input + st->window_step,
            (size_t)(st->window_size - st->window_step) * sizeof st->input[0]);
    st->input_used -= st->window_step;

    mf_fft_run(st);
    mf_filterbank_run(st, shift);
    mf_noise_reduce(st);
    if (st->enable_pcan) mf_pcan_apply(st);
    mf_log_apply(st, frame);
    return 1;
}

int rune_pb_fft_is_spectrum(const rune_pb_fft *st, size_t n)
{
    if (st->mode != RUNE_PB_FFT_MODE_AUTO) return st->mode == RUNE_PB_FFT_MODE_SPECTRUM;
    return !st->streaming && n < (size_t)st->window_size;
}

static rune_status spectrum_transform(rune_pb_fft *st, const rune_tensor *in, rune_tensor *out,
                                      rune_error *err)
{
    rune_status s = rune_tensor_expect(
        in, in->elem == RUNE_ELEM_F32 ? RUNE_ELEM_F32 : RUNE_ELEM_I16, "fft input", err);
    if (s != RUNE_OK) return s;
    if (st->output != RUNE_PB_FFT_OUT_F32 && st->output_given)
        return RUNE_ERR(err, RUNE_E_ARG,
                        "fft: %zu samples are fewer than one %d-sample window, so the block gives "
                        "their f32 spectrum; output=%s is not possible",
                        in->len / rune_abi_elem_size(in->elem), st->window_size,
                        st->output == RUNE_PB_FFT_OUT_I8 ? "i8" : "u16");
    const size_t n = in->len / rune_abi_elem_size(in->elem);
    if (!out->data || out->len < n * sizeof(float))
        return RUNE_ERR(err, RUNE_E_LIMIT, "fft: output needs %zu bytes, buffer has %zu",
                        n * sizeof(float), out->data ? out->len : (size_t)0);
    s = rune_pb_fft_spectrum(st, in->elem, in->data, n, (float *)out->data, err);
    if (s != RUNE_OK) return s;
    out->elem = RUNE_ELEM_F32;
    out->rank = 1;
    out->dims[0] = (uint32_t)n;
    out->len = n * sizeof(float);
    return RUNE_OK;
}

rune_status rune_pb_fft_transform(rune_pb_fft *st, const rune_tensor *in, rune_tensor *out,
                                  rune_error *err)
{
    if (!st || !in || !out) return RUNE_ERR(err, RUNE_E_ARG, "fft: missing state or tensor");
    if (st->window_size == 0) return RUNE_ERR(err, RUNE_E_ARG, "fft: not initialized");
    const size_t esize_in = rune_abi_elem_size(in->elem);
    if (esize_in && rune_pb_fft_is_spectrum(st, in->len / esize_in))
        return spectrum_transform(st, in, out, err);
    rune_status s = rune_tensor_expect(in, RUNE_ELEM_I16, "fft input", err);
    if (s != RUNE_OK) return s;
    const size_t n = in->len / 2;
    if (!st->streaming) rune_pb_fft_reset(st);

    /* Frames this call will produce: buffered samples count in streaming mode. */
    const size_t avail = n + (size_t)st->input_used;
    const size_t frames = rune_pb_fft_frames(st, avail);
    const size_t esize = st->output == RUNE_PB_FFT_OUT_I8    ? 1
                         : st->output == RUNE_PB_FFT_OUT_U16 ? 2
                                                             : 4;
    const size_t need = frames * (size_t)st->num_channels * esize;
    if (!out->data || out->len < need)
        return RUNE_ERR(err, RUNE_E_LIMIT, "fft: output needs %zu bytes, buffer has %zu", need,
                        out->data ? out->len : (size_t)0);

    const int16_t *x = (const int16_t *)in->data;
    uint16_t frame[RUNE_PB_FFT_MAX_CHANNELS];
    size_t pos = 0, f = 0;
    while (pos < n) { /* samples past the last window stay buffered for streaming */
        size_t used = 0;
        int ready = rune_pb_fft_push(st, x + pos, n - pos, &used, frame);
        pos += used;
        if (!ready || f >= frames) continue;
        for (int c = 0; c < st->num_channels; c++) {
            const size_t o = f * (size_t)st->num_channels + (size_t)c;
            if (st->output == RUNE_PB_FFT_OUT_I8)
                ((int8_t *)out->data)[o] = rune_pb_fft_quantize_i8(frame[c]);
            else if (st->output == RUNE_PB_FFT_OUT_U16)
                ((uint16_t *)out->data)[o] = frame[c];
            else
                ((float *)out->data)[o] = (float)frame[c] / 25.6f;
        }
        f++;
    }
    out->elem = st->output == RUNE_PB_FFT_OUT_I8    ? RUNE_ELEM_I8
                : st->output == RUNE_PB_FFT_OUT_U16 ? RUNE_ELEM_U16
                                                    : RUNE_ELEM_F32;
    out->rank = 2;
    out->dims[0] = 1;
    out->dims[1] = (uint32_t)(f * (size_t)st->num_channels);
    out->len = f * (size_t)st->num_channels * esize;
    return RUNE_OK;
}

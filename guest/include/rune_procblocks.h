/*
 * rune_procblocks.h - the standard proc blocks: the processing steps a Runefile names between a
 * capability and a model, or between a model and an output.
 *
 * Every block has the same three-part shape, so generated code can call any of them alike:
 *
 *   rune_pb_NAME st;                                       caller-owned (generated code: static)
 *   rune_pb_NAME_init(&st, args, nargs, &err)              parse and check the Runefile arguments,
 *                                                          size every table; the only slow step
 *   rune_pb_NAME_transform(&st, &in, &out, &err)           one input tensor -> one output tensor
 *
 * Blocks whose catalog entry names c_plan/c_run also have a fixed-tensor fast path, for pipelines
 * whose tensors keep one description from call to call (generated code):
 *
 *   rune_pb_NAME_plan(&st, &in, &out, &err)                every check transform makes, once, for
 *                                                          in and out as each call will pass them;
 *                                                          describes out as transform would
 *   rune_pb_NAME_run(&st, &in, &out)                       then, per call, the transform of the
 * data alone: no checks, no error. Valid while in and out describe what they described when plan
 * succeeded (same data pointers, type, shape and len); a failed plan or an init after it leaves run
 * unusable.
 *
 * No block allocates: state lives in the struct, sized by the compile-time limits below; a
 * transform writes into out->data (capacity out->len) and sets out's type, shape and len. Arguments
 * are name/value strings exactly as the Runefile wrote them; an unknown name, a value that does not
 * parse or lies outside its range is RUNE_E_ARG with a message naming the block and the argument.
 * A transform given the wrong element type or shape, or an output buffer that is too small, is
 * RUNE_E_ARG/RUNE_E_LIMIT too. The catalog (rune_catalog.h) documents each argument and computes
 * output types and shapes on the host; docs/procblocks.md is the user's reference.
 */
#ifndef RUNE_PROCBLOCKS_H
#define RUNE_PROCBLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"
#include "rune_tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rune_pb_arg {
    const char *name;
    const char *value;
} rune_pb_arg;

/* ---- argument helpers (used by the blocks; public for generated code and tests) -----------------
 */

/* Value of args[name], or NULL. */
const char *rune_pb_arg_get(const rune_pb_arg *args, size_t nargs, const char *name);
/* RUNE_E_ARG naming the first argument whose name is not in the NULL-terminated list known. */
rune_status rune_pb_args_check(const char *block, const rune_pb_arg *args, size_t nargs,
                               const char *const *known, rune_error *err);
/* Parse args[name] (or take dflt when absent) and check min <= v <= max. */
rune_status rune_pb_arg_int(const char *block, const rune_pb_arg *args, size_t nargs,
                            const char *name, long dflt, long min, long max, long *out,
                            rune_error *err);
rune_status rune_pb_arg_float(const char *block, const rune_pb_arg *args, size_t nargs,
                              const char *name, double dflt, double min, double max, double *out,
                              rune_error *err);
/* true/false/1/0/yes/no/on/off */
rune_status rune_pb_arg_bool(const char *block, const rune_pb_arg *args, size_t nargs,
                             const char *name, int dflt, int *out, rune_error *err);

/* ---- fft: the TensorFlow "microfrontend" audio feature generator, or a plain magnitude spectrum
 *
 * Two meanings, chosen by the argument mode (auto by default):
 *   frontend  the micro_speech feature generator (windows of window_size_ms, mel channels, ...);
 *   spectrum  the magnitude spectrum of the whole input taken as one signal: N real samples x[n]
 *             (i16 values as they are, or f32) -> N f32 values |X[k]|, k = 0..N-1, with
 *             X[k] = sum_n x[n] exp(-2 pi i k n / N) (unnormalized; |X[k]| = |X[N-k]|; bin k is
 *             k * sample_rate / N Hz). Any N from 1 to RUNE_PB_FFT_MAX_SPECTRUM (mixed-radix FFT).
 *   auto      spectrum when the input has fewer samples than one front-end window and streaming
 *             is off (the Rune paper's `PROC_BLOCK runicos/fft fft` on 150 samples), else frontend.
 * The spectrum's output is f32[N] (rank 1); giving output=i8 or u16 with it is refused.
 */

/* Limits of the fixed tables; a Runefile asking for more is refused at init. */
#define RUNE_PB_FFT_MAX_WINDOW 1024 /* samples in one window (64 ms at 16 kHz) */
#define RUNE_PB_FFT_MAX_FFT 1024    /* real FFT size: the window rounded up to a power of two */
#define RUNE_PB_FFT_MAX_CHANNELS 64 /* mel channels */
#define RUNE_PB_FFT_MAX_BINS (RUNE_PB_FFT_MAX_FFT / 2 + 1)
#define RUNE_PB_FFT_LOG_LUT 130
#define RUNE_PB_FFT_PCAN_LUT 125
#define RUNE_PB_FFT_MAX_SPECTRUM 1024 /* samples of one spectrum (mode=spectrum) */
#define RUNE_PB_FFT_MAX_FACTORS 24 /* (radix, remaining) pairs of a spectrum plan, 0-terminated */

typedef enum rune_pb_fft_mode {
    RUNE_PB_FFT_MODE_AUTO = 0,     /* spectrum for input shorter than one window, else frontend */
    RUNE_PB_FFT_MODE_FRONTEND = 1, /* always the micro_speech front end */
    RUNE_PB_FFT_MODE_SPECTRUM = 2, /* always the magnitude spectrum */
} rune_pb_fft_mode;

typedef enum rune_pb_fft_output {
    RUNE_PB_FFT_OUT_I8 = 0,  /* int8 model input: (v * 256 + 333) / 666 - 128, as TF's example */
    RUNE_PB_FFT_OUT_U16 = 1, /* the raw 16-bit log-scaled features */
    RUNE_PB_FFT_OUT_F32 = 2, /* v / 25.6, the float features TF trains on */
} rune_pb_fft_output;

typedef struct rune_pb_fft_cpx {
    int16_t r, i;
} rune_pb_fft_cpx;
typedef struct rune_pb_fft_cpxf {
    float r, i;
} rune_pb_fft_cpxf;

typedef struct rune_pb_fft {
    /* configuration */
    int sample_rate, window_size, window_step, fft_size, num_channels;
    int smoothing_bits;
    uint16_t even_smoothing, odd_smoothing, min_signal_remaining; /* Q14 */
    int enable_pcan, enable_log, scale_shift, snr_shift, output, streaming;
    int mode;         /* rune_pb_fft_mode */
    int output_given; /* the Runefile named output= (the spectrum accepts only f32) */
    /* window */
    int16_t window[RUNE_PB_FFT_MAX_WINDOW];
    int16_t input[RUNE_PB_FFT_MAX_WINDOW]; /* samples waiting for the next window */
    int input_used;
    /* fft */
    int16_t fft_in[RUNE_PB_FFT_MAX_FFT];
    rune_pb_fft_cpx twiddles[RUNE_PB_FFT_MAX_FFT / 2];
    rune_pb_fft_cpx super_twiddles[RUNE_PB_FFT_MAX_FFT / 4];
    rune_pb_fft_cpx spectrum_tmp[RUNE_PB_FFT_MAX_FFT / 2];
    rune_pb_fft_cpx spectrum[RUNE_PB_FFT_MAX_BINS];
    int factors[16]; /* radix of each stage, outermost first, 0-terminated */
    /* filterbank: each bin in [start_bin, end_bin) feeds channel bin_chan[b] with weight[b] and
     * channel bin_chan[b] + 1 with unweight[b] (Q12); channel 0 is the half band below the first */
    int start_bin, end_bin;
    uint8_t bin_chan[RUNE_PB_FFT_MAX_BINS];
    int16_t weight[RUNE_PB_FFT_MAX_BINS], unweight[RUNE_PB_FFT_MAX_BINS];
    uint64_t work[RUNE_PB_FFT_MAX_CHANNELS + 2];
    uint32_t signal[RUNE_PB_FFT_MAX_CHANNELS];
    /* noise reduction, PCAN, log */
    uint32_t noise_estimate[RUNE_PB_FFT_MAX_CHANNELS];
    int16_t pcan_lut[RUNE_PB_FFT_PCAN_LUT];
    uint16_t log_lut[RUNE_PB_FFT_LOG_LUT];
    /* spectrum: the plan for spec_n samples, made at the first transform of that length */
    int spec_n;
    int spec_factors[RUNE_PB_FFT_MAX_FACTORS];
    rune_pb_fft_cpxf spec_twiddles[RUNE_PB_FFT_MAX_SPECTRUM]; /* exp(-2 pi i j / spec_n) */
    rune_pb_fft_cpxf spec_out[RUNE_PB_FFT_MAX_SPECTRUM];
    rune_pb_fft_cpxf spec_scratch[RUNE_PB_FFT_MAX_SPECTRUM]; /* one butterfly's inputs */
} rune_pb_fft;

/* Arguments (defaults are the micro_speech settings): sample_rate=16000 window_size_ms=30
 * window_step_ms=20 num_channels=40 lower_band_limit=125 upper_band_limit=7500 smoothing_bits=10
 * even_smoothing=0.025 odd_smoothing=0.06 min_signal_remaining=0.05 enable_pcan=true strength=0.95
 * offset=80 gain_bits=21 enable_log=true scale_shift=6 output=i8|u16|f32 streaming=false
 * mode=auto|frontend|spectrum. mode=spectrum with streaming=true, or with output other than f32,
 * is refused. */
rune_status rune_pb_fft_init(rune_pb_fft *st, const rune_pb_arg *args, size_t nargs,
                             rune_error *err);
/* Front end: i16[N] audio (any rank, N samples) -> features [1, frames * channels] where frames =
 * (N - window) / step + 1 (0 if N < window). Unless streaming=true the state (window, noise
 * estimates) is reset first, so the same audio always gives the same features.
 * Spectrum: i16 or f32 [N] (any rank) -> f32[N] magnitudes (see above). */
rune_status rune_pb_fft_transform(rune_pb_fft *st, const rune_tensor *in, rune_tensor *out,
                                  rune_error *err);
/* 1 if a transform of n samples computes the spectrum, 0 if the front end (which takes only i16:
 * f32 samples need the spectrum). */
int rune_pb_fft_is_spectrum(const rune_pb_fft *st, size_t n);
/* The spectrum itself: n samples (i16 or f32, per elem) -> n magnitudes in mag. RUNE_E_ARG for
 * another element type or n outside 1..RUNE_PB_FFT_MAX_SPECTRUM. */
rune_status rune_pb_fft_spectrum(rune_pb_fft *st, int32_t elem, const void *samples, size_t n,
                                 float *mag, rune_error *err);
/* Forget buffered samples and noise estimates. */
void rune_pb_fft_reset(rune_pb_fft *st);
/* Frames that n samples give; the channel count is st->num_channels. */
size_t rune_pb_fft_frames(const rune_pb_fft *st, size_t n);
/* Streaming core: consume up to n samples; when a window completes, write num_channels raw 16-bit
 * features to frame and return 1 (else 0). *used says how many samples were consumed. */
int rune_pb_fft_push(rune_pb_fft *st, const int16_t *samples, size_t n, size_t *used,
                     uint16_t *frame);
/* Quantize one raw feature as the configured output does for i8. */
int8_t rune_pb_fft_quantize_i8(uint16_t v);
/* Replace the noise estimates (num_channels values), e.g. to resume from a saved state. */
void rune_pb_fft_set_noise_estimates(rune_pb_fft *st, const uint32_t *est);

/* ---- small blocks
 * -------------------------------------------------------------------------------- */

/* normalize: f32 -> f32, (x - min) / (max - min) over the tensor (all zeros if max == min). */
typedef struct rune_pb_normalize {
    int unused_;
} rune_pb_normalize;
rune_status rune_pb_normalize_init(rune_pb_normalize *st, const rune_pb_arg *args, size_t nargs,
                                   rune_error *err);
rune_status rune_pb_normalize_transform(rune_pb_normalize *st, const rune_tensor *in,
                                        rune_tensor *out, rune_error *err);

/* image_normalize: u8 pixels -> r = (p - mean) / std, then output=i8|u8 quantized as
 * q = round(r / scale) + zero_point clamped to the type, or output=f32 (r itself). Defaults
 * mean=0 std=1 scale=1 zero_point=0 output=i8; person_detect's "pixel - 128" is mean=128. */
typedef struct rune_pb_image_normalize {
    float mean, std, scale;
    int32_t zero_point;
    int32_t output; /* rune_abi_elem: I8, U8 or F32 */
} rune_pb_image_normalize;
rune_status rune_pb_image_normalize_init(rune_pb_image_normalize *st, const rune_pb_arg *args,
                                         size_t nargs, rune_error *err);
rune_status rune_pb_image_normalize_transform(rune_pb_image_normalize *st, const rune_tensor *in,
                                              rune_tensor *out, rune_error *err);

/* modulo: f32 or i32 -> same, x mod modulus with the sign of the modulus (modulus > 0; required).
 */
typedef struct rune_pb_modulo {
    double modulus;
    uint32_t plan_n;   /* set by plan: element count, 0 before a plan succeeds */
    int32_t plan_elem; /* and element type */
} rune_pb_modulo;
rune_status rune_pb_modulo_init(rune_pb_modulo *st, const rune_pb_arg *args, size_t nargs,
                                rune_error *err);
rune_status rune_pb_modulo_transform(rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                                     rune_error *err);
rune_status rune_pb_modulo_plan(rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out,
                                rune_error *err);
void rune_pb_modulo_run(const rune_pb_modulo *st, const rune_tensor *in, rune_tensor *out);

/* softmax: f32 -> f32 (numerically stable), or i8/u8 logits dequantized with scale/zero_point
 * (args, default 1 and 0) -> f32. */
typedef struct rune_pb_softmax {
    float scale;
    int32_t zero_point;
} rune_pb_softmax;
rune_status rune_pb_softmax_init(rune_pb_softmax *st, const rune_pb_arg *args, size_t nargs,
                                 rune_error *err);
rune_status rune_pb_softmax_transform(rune_pb_softmax *st, const rune_tensor *in, rune_tensor *out,
                                      rune_error *err);

/* argmax: any numeric type -> u32[1], the index of the largest element (the first on ties). */
typedef struct rune_pb_argmax {
    int unused_;
} rune_pb_argmax;
rune_status rune_pb_argmax_init(rune_pb_argmax *st, const rune_pb_arg *args, size_t nargs,
                                rune_error *err);
rune_status rune_pb_argmax_transform(rune_pb_argmax *st, const rune_tensor *in, rune_tensor *out,
                                     rune_error *err);

/* most_confident_indices: numeric -> u32[count], indices by decreasing value (ties: lower index
 * first). count defaults to 1 and must not exceed the element count. */
#define RUNE_PB_MAX_INDICES 256
typedef struct rune_pb_most_confident_indices {
    uint32_t count;
} rune_pb_most_confident_indices;
rune_status rune_pb_most_confident_indices_init(rune_pb_most_confident_indices *st,
                                                const rune_pb_arg *args, size_t nargs,
                                                rune_error *err);
rune_status rune_pb_most_confident_indices_transform(rune_pb_most_confident_indices *st,
                                                     const rune_tensor *in, rune_tensor *out,
                                                     rune_error *err);

/* label: u32/i32 indices -> text: the labels, '\n'-separated, as u8[bytes]. Labels come from
 * labels="a,b,c" (comma-separated) or resource=NAME (a resource blob, one label per line). */
#define RUNE_PB_LABEL_TEXT_MAX 4096
#define RUNE_PB_LABEL_MAX 256
typedef struct rune_pb_label {
    char text[RUNE_PB_LABEL_TEXT_MAX];
    uint16_t start[RUNE_PB_LABEL_MAX], len[RUNE_PB_LABEL_MAX];
    uint32_t count;
} rune_pb_label;
rune_status rune_pb_label_init(rune_pb_label *st, const rune_pb_arg *args, size_t nargs,
                               rune_error *err);
/* Set the labels from a comma-separated list ("silence,unknown,yes,no"). */
rune_status rune_pb_label_set_list(rune_pb_label *st, const char *list, rune_error *err);
/* Set the labels from text, one per line (blank lines and a trailing '\r' ignored). */
rune_status rune_pb_label_set_lines(rune_pb_label *st, const char *text, size_t len,
                                    rune_error *err);
rune_status rune_pb_label_transform(rune_pb_label *st, const rune_tensor *in, rune_tensor *out,
                                    rune_error *err);

/* audio_float: i16 -> f32, x / 32768. */
typedef struct rune_pb_audio_float {
    int unused_;
} rune_pb_audio_float;
rune_status rune_pb_audio_float_init(rune_pb_audio_float *st, const rune_pb_arg *args, size_t nargs,
                                     rune_error *err);
rune_status rune_pb_audio_float_transform(rune_pb_audio_float *st, const rune_tensor *in,
                                          rune_tensor *out, rune_error *err);

/* binary_classification: f32 (first element) -> u32[1]: 1 if x > threshold (default 0.5) else 0. */
typedef struct rune_pb_binary_classification {
    float threshold;
} rune_pb_binary_classification;
rune_status rune_pb_binary_classification_init(rune_pb_binary_classification *st,
                                               const rune_pb_arg *args, size_t nargs,
                                               rune_error *err);
rune_status rune_pb_binary_classification_transform(rune_pb_binary_classification *st,
                                                    const rune_tensor *in, rune_tensor *out,
                                                    rune_error *err);

/* threshold (object filter): f32 scores -> u32[k]: the indices whose score >= threshold (default
 * 0.5), best first, at most max (default: all). k may be 0 (rank 1, dims[0] = 0, len 0). */
typedef struct rune_pb_threshold {
    float threshold;
    uint32_t max;
} rune_pb_threshold;
rune_status rune_pb_threshold_init(rune_pb_threshold *st, const rune_pb_arg *args, size_t nargs,
                                   rune_error *err);
rune_status rune_pb_threshold_transform(rune_pb_threshold *st, const rune_tensor *in,
                                        rune_tensor *out, rune_error *err);

#ifdef __cplusplus
}
#endif
#endif

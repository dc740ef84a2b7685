/*
 * source.h - decoders that turn capture files into the sample buffers capabilities hand to runes.
 *
 * A capability provider on a device reads a microphone or a camera; on a development machine the
 * same capability is fed from a file. These functions decode such files, strictly: any malformed
 * input is RUNE_E_MALFORMED with a message naming the file's problem, never a crash.
 *   WAV  -> mono 16-bit PCM samples at the file's rate (stereo mixed down; 8-bit, 24-bit, 32-bit int and
 *           32-bit float PCM converted), optionally resampled to the rate the rune declared.
 *   image (PNG, JPEG, BMP, PGM/PPM) -> 8-bit pixels, resized to the declared width x height and
 *           converted to the declared channel count (1 gray, 3 RGB).
 *   CSV  -> rows of float columns (accelerometer x,y,z), header line optional.
 * Buffers returned are owned by the caller and released with rune_free.
 */
#ifndef RUNE_SOURCE_H
#define RUNE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rune_audio {
    int16_t *samples; /* mono */
    size_t n_samples;
    uint32_t sample_rate;
    uint16_t source_channels;
    uint16_t source_bits;
} rune_audio;

/* Decode a WAV file held in memory. */
rune_status rune_wav_decode(const uint8_t *bytes, size_t len, rune_audio *out, rune_error *err);
rune_status rune_wav_load(const char *path, rune_audio *out, rune_error *err);
/* Resample in place to rate (linear interpolation); no-op if the rate already matches. */
rune_status rune_audio_resample(rune_audio *a, uint32_t rate, rune_error *err);
void rune_audio_free(rune_audio *a);

typedef struct rune_image {
    uint8_t *pixels; /* row-major, top row first, channels interleaved */
    uint32_t width, height, channels;
} rune_image;

/*
 * Decode PNG, JPEG, BMP or PGM/PPM (P2, P3, P5, P6) from memory or a file, up to 16384 pixels a side
 * and 64 megapixels (RUNE_E_LIMIT), to 8 bits a channel: 1 (gray), 2 (gray, alpha), 3 (RGB) or 4
 * (RGBA) channels as stored. Memory taken is what an image of the header's size needs, never what
 * a header claims beyond its data: such a file, a truncated one and a damaged one are
 * RUNE_E_MALFORMED with the reason.
 */
rune_status rune_image_decode(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err);
rune_status rune_image_load(const char *path, rune_image *out, rune_error *err);
/* The header's width, height and channels (out->pixels stays NULL), with decode's size checks. */
rune_status rune_image_info(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err);
/* Resize (bilinear) and convert to channels (1 or 3) into a new image; src is untouched. */
rune_status rune_image_convert(const rune_image *src, uint32_t width, uint32_t height,
                               uint32_t channels, rune_image *out, rune_error *err);
void rune_image_free(rune_image *img);

typedef struct rune_csv {
    float *values; /* n_rows x n_cols, row-major */
    size_t n_rows, n_cols;
} rune_csv;

/* Parse CSV numbers; an optional first line of non-numeric headers is skipped. Every row must have the
 * same number of columns; the error names line and column. */
rune_status rune_csv_parse(const char *text, size_t len, rune_csv *out, rune_error *err);
rune_status rune_csv_load(const char *path, rune_csv *out, rune_error *err);
void rune_csv_free(rune_csv *c);

/* Read a whole file into a buffer owned by the caller (rune_free). At most max_len bytes (0 = 1 GiB). */
rune_status rune_file_read_max(const char *path, size_t max_len, uint8_t **out, size_t *out_len,
                           rune_error *err);

#ifdef __cplusplus
}
#endif
#endif

/*
 * source_wav.c - RIFF/WAVE decoder for the SOUND capability when it is fed from a file.
 *
 * Accepts format tag 1 (integer PCM, 8/16/24/32 bits), 3 (IEEE float, 32 bits) and 0xFFFE
 * (WAVE_FORMAT_EXTENSIBLE wrapping either), any channel count (mixed down to mono by averaging).
 * Chunks other than "fmt " and "data" are skipped; a data chunk that claims more bytes than the file
 * holds is an error rather than silently truncated, because a short capture would change what the
 * model sees. Written here because the format is small and no Debian library decodes WAV without
 * pulling an audio stack (libsndfile would also do; this keeps the runtime dependency-free).
 */
#include "rune/alloc.h"
#include "rune/source.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* One sample of one channel as a float in [-1, 1]. */
static float sample_at(const uint8_t *p, uint16_t bits, int is_float)
{
    if (is_float) {
        uint32_t u = rd32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        if (!(f == f)) return 0.0f; /* NaN */
        return f > 1.0f ? 1.0f : f < -1.0f ? -1.0f : f;
    }
    switch (bits) {
    case 8: return ((int)p[0] - 128) / 128.0f;
    case 16: return (int16_t)rd16(p) / 32768.0f;
    case 24: {
        int32_t v = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24) >> 8;
        return v / 8388608.0f;
    }
    default: return (int32_t)rd32(p) / 2147483648.0f;
    }
}

static int16_t to_i16(float f)
{
    float v = f * 32768.0f;
    if (v > 32767.0f) return 32767;
    if (v < -32768.0f) return -32768;
    return (int16_t)(v < 0 ? v - 0.5f : v + 0.5f);
}

rune_status rune_wav_decode(const uint8_t *b, size_t len, rune_audio *out, rune_error *err)
{
    if (!b || !out) return RUNE_ERR(err, RUNE_E_ARG, "wav: NULL argument");
    memset(out, 0, sizeof *out);
    if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: not a RIFF/WAVE file");
    const uint8_t *fmt = NULL, *data = NULL;
    size_t data_len = 0;
    size_t pos = 12;
    while (pos + 8 <= len) {
        uint32_t size = rd32(b + pos + 4);
        const uint8_t *body = b + pos + 8;
        size_t avail = len - pos - 8;
        if (memcmp(b + pos, "fmt ", 4) == 0) {
            if (size < 16 || size > avail)
                return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: fmt chunk at byte %zu is truncated", pos);
            fmt = body;
        } else if (memcmp(b + pos, "data", 4) == 0) {
            if (size > avail)
                return RUNE_ERR(err, RUNE_E_MALFORMED,
                                "wav: data chunk claims %u bytes but only %zu remain", size, avail);
            data = body;
            data_len = size;
        }
        if (size > avail) break;
        pos += 8 + (size_t)size + (size & 1);
    }
    if (!fmt) return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: no fmt chunk");
    if (!data) return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: no data chunk");
    uint16_t tag = rd16(fmt), channels = rd16(fmt + 2), bits = rd16(fmt + 14);
    uint32_t rate = rd32(fmt + 4);
    if (tag == 0xFFFE) {
        if (rd32(fmt - 4) < 40)
            return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: extensible fmt chunk shorter than 40 bytes");
        tag = rd16(fmt + 24); /* first two bytes of the sub-format GUID */
    }
    int is_float = tag == 3;
    if (tag != 1 && tag != 3)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "wav: format tag %u is not PCM (1) or float (3): compressed WAV is not supported",
                        tag);
    if (channels == 0) return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: zero channels");
    if (rate == 0 || rate > 1000000)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "wav: sample rate %u out of range", rate);
    if (is_float ? bits != 32 : (bits != 8 && bits != 16 && bits != 24 && bits != 32))
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "wav: %u-bit %s samples are not supported", bits,
                        is_float ? "float" : "integer");
    size_t frame = (size_t)channels * (bits / 8);
    size_t n = data_len / frame;
    int16_t *s = rune_malloc_array(n ? n : 1, sizeof *s);
    if (!s) return RUNE_ERR(err, RUNE_E_NOMEM, "wav: out of memory for %zu samples", n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = data + i * frame;
        float acc = 0.0f;
        for (uint16_t c = 0; c < channels; c++) acc += sample_at(p + c * (bits / 8), bits, is_float);
        if (channels == 1 && bits == 16 && !is_float)
            s[i] = (int16_t)rd16(p); /* exact: no float round trip */
        else
            s[i] = to_i16(acc / channels);
    }
    out->samples = s;
    out->n_samples = n;
    out->sample_rate = rate;
    out->source_channels = channels;
    out->source_bits = bits;
    return RUNE_OK;
}

rune_status rune_wav_load(const char *path, rune_audio *out, rune_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(path, 0, &buf, &len, err);
    if (st != RUNE_OK) return st;
    st = rune_wav_decode(buf, len, out, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}

rune_status rune_audio_resample(rune_audio *a, uint32_t rate, rune_error *err)
{
    if (!a || rate == 0) return RUNE_ERR(err, RUNE_E_ARG, "resample: bad arguments");
    if (a->sample_rate == rate || a->n_samples == 0) {
        a->sample_rate = rate;
        return RUNE_OK;
    }
    size_t n = (size_t)((double)a->n_samples * rate / a->sample_rate);
    if (n == 0) n = 1;
    int16_t *s = rune_malloc_array(n, sizeof *s);
    if (!s) return RUNE_ERR(err, RUNE_E_NOMEM, "resample: out of memory");
    double step = (double)a->sample_rate / rate;
    for (size_t i = 0; i < n; i++) {
        double x = i * step;
        size_t k = (size_t)x;
        double frac = x - (double)k;
        double y0 = a->samples[k < a->n_samples ? k : a->n_samples - 1];
        double y1 = a->samples[k + 1 < a->n_samples ? k + 1 : a->n_samples - 1];
        double y = y0 + (y1 - y0) * frac;
        s[i] = (int16_t)(y < 0 ? y - 0.5 : y + 0.5);
    }
    rune_free(a->samples);
    a->samples = s;
    a->n_samples = n;
    a->sample_rate = rate;
    return RUNE_OK;
}

void rune_audio_free(rune_audio *a)
{
    if (!a) return;
    rune_free(a->samples);
    memset(a, 0, sizeof *a);
}

/*
 * cap_providers.c - capability providers fed from files or a seed, for development machines and tests.
 *
 * Each reading has the shape the rune declared when it opened the capability:
 *   SOUND  samples (default: hz, i.e. one second) i16 samples; successive reads advance through the
 *          WAV file (resampled to the declared hz); a short tail is zero-padded; at the end: E_END,
 *          or the file starts again when `loop` is set.
 *   IMAGE  width x height x channels(pixel_format) bytes, the picture converted once at open.
 *   ACCEL  samples x 3 f32 (x,y,z) rows of the CSV, advancing like SOUND.
 *   RAW    length bytes of the file, advancing; the default length is the whole file.
 *   RAND   count (or n) elements of type x_elem (default u8; f32/f64 uniform in [0, 1), integers
 *          uniform over the type) from a SplitMix64 stream: the same seed gives the same values.
 */
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/runicos.h"
#include "rune/source.h"

#include <stdlib.h>
#include <string.h>

/* A decoded file shared by every handle of a provider, and a per-handle cursor. */
typedef struct file_feed {
    uint8_t *data; /* whole decoded content */
    size_t len;    /* bytes */
    size_t unit;   /* bytes per element (i16: 2, f32 row: 12, ...) */
    int loop;
    char path[256];
    uint32_t rate;   /* SOUND: the file's sample rate */
    rune_image img;  /* IMAGE */
    int16_t *audio;  /* SOUND: samples at the file's rate */
    size_t n_audio;
} file_feed;

typedef struct cursor {
    const file_feed *feed;
    uint8_t *resampled; /* SOUND at a different rate: owned copy */
    const uint8_t *data;
    size_t len, pos, reading; /* reading: bytes per read */
    int loop;
} cursor;

static int parse_u32(const char *s, uint32_t *out)
{
    if (!s || !*s) return -1;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > 0x7fffffffUL) return -1;
    *out = (uint32_t)v;
    return 0;
}

static rune_status param_u32(const rune_cap_params *p, const char *key, uint32_t def,
                             uint32_t *out, rune_error *err)
{
    const char *v = rune_cap_param(p, key);
    if (!v) {
        *out = def;
        return RUNE_OK;
    }
    if (parse_u32(v, out) != 0 || *out == 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s: parameter %s=%s is not a positive integer",
                        rune_abi_capability_name(p->kind), key, v);
    return RUNE_OK;
}

static int32_t cursor_read(void *state, uint8_t *buf, size_t len, rune_error *err)
{
    cursor *c = state;
    if (len < c->reading) {
        RUNE_ERR(err, RUNE_E_LIMIT, "buffer of %zu bytes is smaller than one reading (%zu)", len,
                 c->reading);
        return RUNE_ABI_E_LIMIT;
    }
    if (c->pos >= c->len) {
        if (!c->loop || c->len == 0) {
            RUNE_ERR(err, RUNE_E_NOT_FOUND, "%s: input exhausted", c->feed->path);
            return RUNE_ABI_E_END;
        }
        c->pos = 0;
    }
    size_t n = c->len - c->pos < c->reading ? c->len - c->pos : c->reading;
    memcpy(buf, c->data + c->pos, n);
    memset(buf + n, 0, c->reading - n);
    c->pos += n;
    return (int32_t)c->reading;
}

static void cursor_close(void *state)
{
    cursor *c = state;
    if (!c) return;
    rune_free(c->resampled);
    rune_free(c);
}

static void feed_free(rune_cap_provider *p)
{
    file_feed *f = p->ud;
    if (f) {
        rune_free(f->data);
        rune_free(f->audio);
        rune_image_free(&f->img);
        rune_free(f);
    }
    rune_free(p);
}

static rune_status new_provider(int kind, file_feed *f, rune_cap_provider **out, rune_error *err)
{
    rune_cap_provider *p = rune_calloc(1, sizeof *p);
    if (!p) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    p->kind = kind;
    p->source = f->path;
    p->read = cursor_read;
    p->close = cursor_close;
    p->free = feed_free;
    p->ud = f;
    *out = p;
    return RUNE_OK;
}

static file_feed *feed_new(const char *path, int loop)
{
    file_feed *f = rune_calloc(1, sizeof *f);
    if (!f) return NULL;
    const char *base = strrchr(path, '/');
    snprintf(f->path, sizeof f->path, "%s", base ? base + 1 : path);
    f->loop = loop;
    return f;
}

static cursor *cursor_new(const file_feed *f)
{
    cursor *c = rune_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->feed = f;
    c->data = f->data;
    c->len = f->len;
    c->loop = f->loop;
    return c;
}

/* ---- SOUND ---- */

static rune_status sound_open(const rune_cap_provider *p, const rune_cap_params *params,
                              void **state, rune_error *err)
{
    const file_feed *f = p->ud;
    uint32_t hz, samples;
    rune_status st = param_u32(params, "hz", 16000, &hz, err);
    if (st == RUNE_OK) st = param_u32(params, "samples", hz, &samples, err);
    if (st != RUNE_OK) return st;
    if (samples > (1u << 24))
        return RUNE_ERR(err, RUNE_E_INVALID, "sound: %u samples per read is too many", samples);
    cursor *c = cursor_new(f);
    if (!c) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    c->reading = (size_t)samples * 2;
    if (hz != f->rate) {
        rune_audio a = {.samples = rune_malloc_array(f->n_audio ? f->n_audio : 1, 2),
                        .n_samples = f->n_audio,
                        .sample_rate = f->rate};
        if (!a.samples) {
            cursor_close(c);
            return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
        }
        memcpy(a.samples, f->audio, f->n_audio * 2);
        st = rune_audio_resample(&a, hz, err);
        if (st != RUNE_OK) {
            rune_audio_free(&a);
            cursor_close(c);
            return st;
        }
        c->resampled = (uint8_t *)a.samples;
        c->data = c->resampled;
        c->len = a.n_samples * 2;
    }
    *state = c;
    return RUNE_OK;
}

rune_status rune_cap_sound_file(const char *wav_path, int loop, rune_cap_provider **out,
                                rune_error *err)
{
    file_feed *f = feed_new(wav_path, loop);
    if (!f) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    rune_audio a;
    rune_status st = rune_wav_load(wav_path, &a, err);
    if (st != RUNE_OK) {
        rune_free(f);
        return st;
    }
    f->audio = a.samples;
    f->n_audio = a.n_samples;
    f->rate = a.sample_rate;
    f->data = rune_malloc_array(a.n_samples ? a.n_samples : 1, 2);
    if (!f->data) {
        rune_free(f->audio);
        rune_free(f);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    memcpy(f->data, a.samples, a.n_samples * 2);
    f->len = a.n_samples * 2;
    st = new_provider(RUNE_CAP_SOUND, f, out, err);
    if (st != RUNE_OK) {
        rune_free(f->data);
        rune_free(f->audio);
        rune_free(f);
        return st;
    }
    (*out)->open = sound_open;
    return RUNE_OK;
}

/* ---- IMAGE ---- */

static int pixel_format_parse(const char *s)
{
    if (!s) return RUNE_PIXEL_RGB8;
    if (strcmp(s, "rgb8") == 0 || strcmp(s, "rgb") == 0 || strcmp(s, "1") == 0)
        return RUNE_PIXEL_RGB8;
    if (strcmp(s, "bgr8") == 0 || strcmp(s, "bgr") == 0 || strcmp(s, "2") == 0)
        return RUNE_PIXEL_BGR8;
    if (strcmp(s, "gray8") == 0 || strcmp(s, "grayscale") == 0 || strcmp(s, "gray") == 0 ||
        strcmp(s, "3") == 0)
        return RUNE_PIXEL_GRAY8;
    if (strcmp(s, "rgba8") == 0 || strcmp(s, "4") == 0) return RUNE_PIXEL_RGBA8;
    return -1;
}

static rune_status image_open(const rune_cap_provider *p, const rune_cap_params *params,
                              void **state, rune_error *err)
{
    const file_feed *f = p->ud;
    uint32_t w, h;
    rune_status st = param_u32(params, "width", f->img.width, &w, err);
    if (st == RUNE_OK) st = param_u32(params, "height", f->img.height, &h, err);
    if (st != RUNE_OK) return st;
    int fmt = pixel_format_parse(rune_cap_param(params, "pixel_format"));
    if (fmt < 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "image: pixel_format=%s is not rgb8, bgr8, gray8 or rgba8",
                        rune_cap_param(params, "pixel_format"));
    uint32_t ch = fmt == RUNE_PIXEL_GRAY8 ? 1 : 3;
    rune_image conv;
    st = rune_image_convert(&f->img, w, h, ch, &conv, err);
    if (st != RUNE_OK) return st;
    cursor *c = cursor_new(f);
    if (!c) {
        rune_image_free(&conv);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    size_t npx = (size_t)w * h;
    int outch = rune_abi_pixel_channels(fmt);
    uint8_t *px = rune_malloc_array(npx, (size_t)outch);
    if (!px) {
        rune_image_free(&conv);
        cursor_close(c);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < npx; i++) {
        const uint8_t *s = conv.pixels + i * ch;
        uint8_t *d = px + i * (size_t)outch;
        switch (fmt) {
        case RUNE_PIXEL_GRAY8: d[0] = s[0]; break;
        case RUNE_PIXEL_RGB8: d[0] = s[0], d[1] = s[1], d[2] = s[2]; break;
        case RUNE_PIXEL_BGR8: d[0] = s[2], d[1] = s[1], d[2] = s[0]; break;
        default: d[0] = s[0], d[1] = s[1], d[2] = s[2], d[3] = 255; break;
        }
    }
    rune_image_free(&conv);
    c->resampled = px;
    c->data = px;
    c->len = npx * (size_t)outch;
    c->reading = c->len;
    c->loop = 1; /* a still picture: every read gives it again */
    *state = c;
    return RUNE_OK;
}

rune_status rune_cap_image_file(const char *path, rune_cap_provider **out, rune_error *err)
{
    file_feed *f = feed_new(path, 1);
    if (!f) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    rune_status st = rune_image_load(path, &f->img, err);
    if (st == RUNE_OK) st = new_provider(RUNE_CAP_IMAGE, f, out, err);
    if (st != RUNE_OK) {
        rune_image_free(&f->img);
        rune_free(f);
        return st;
    }
    (*out)->open = image_open;
    return RUNE_OK;
}

/* ---- ACCEL and RAW: fixed-size records advancing through a buffer ---- */

static rune_status records_open(const rune_cap_provider *p, const rune_cap_params *params,
                                void **state, rune_error *err)
{
    const file_feed *f = p->ud;
    uint32_t n;
    const char *key = p->kind == RUNE_CAP_ACCEL ? "samples" : "length";
    size_t def = p->kind == RUNE_CAP_ACCEL ? 128 : f->len;
    rune_status st = param_u32(params, key, (uint32_t)(def ? def : 1), &n, err);
    if (st != RUNE_OK) return st;
    cursor *c = cursor_new(f);
    if (!c) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    c->reading = (size_t)n * f->unit;
    *state = c;
    return RUNE_OK;
}

rune_status rune_cap_accel_csv(const char *path, int loop, rune_cap_provider **out, rune_error *err)
{
    rune_csv csv;
    rune_status st = rune_csv_load(path, &csv, err);
    if (st != RUNE_OK) return st;
    if (csv.n_cols != 3) {
        rune_csv_free(&csv);
        return RUNE_ERR(err, RUNE_E_INVALID, "%s: accelerometer CSV needs 3 columns (x,y,z), has %zu",
                        path, csv.n_cols);
    }
    file_feed *f = feed_new(path, loop);
    if (!f) {
        rune_csv_free(&csv);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    f->data = (uint8_t *)csv.values;
    f->len = csv.n_rows * 3 * sizeof(float);
    f->unit = 3 * sizeof(float);
    st = new_provider(RUNE_CAP_ACCEL, f, out, err);
    if (st != RUNE_OK) {
        rune_free(f->data);
        rune_free(f);
        return st;
    }
    (*out)->open = records_open;
    return RUNE_OK;
}

rune_status rune_cap_raw_file(const char *path, int loop, rune_cap_provider **out, rune_error *err)
{
    file_feed *f = feed_new(path, loop);
    if (!f) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    rune_status st = rune_file_read_max(path, 0, &f->data, &f->len, err);
    if (st == RUNE_OK) {
        f->unit = 1;
        st = new_provider(RUNE_CAP_RAW, f, out, err);
    }
    if (st != RUNE_OK) {
        rune_free(f->data);
        rune_free(f);
        return st;
    }
    (*out)->open = records_open;
    return RUNE_OK;
}

/* ---- RAND ---- */

typedef struct rand_state {
    uint64_t s;
    size_t count; /* elements per read */
    int32_t elem; /* rune_abi_elem; floats are uniform in [0, 1), integers uniform over the type */
    size_t esz, need; /* element size, bytes per read: fixed at open */
} rand_state;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static rune_status rand_open(const rune_cap_provider *p, const rune_cap_params *params,
                             void **state, rune_error *err)
{
    uint32_t n;
    const char *key = rune_cap_param(params, "count") ? "count" : "n";
    rune_status st = param_u32(params, key, 4, &n, err);
    if (st != RUNE_OK) return st;
    int32_t elem = RUNE_ELEM_U8;
    const char *e = rune_cap_param(params, "x_elem");
    if (e) {
        elem = rune_abi_elem_parse(e, strlen(e));
        if (elem < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "rand: x_elem=%s is not an element type", e);
    }
    rand_state *r = rune_calloc(1, sizeof *r);
    if (!r) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    r->s = *(const uint64_t *)p->ud;
    r->count = n;
    r->elem = elem;
    r->esz = rune_abi_elem_size(elem);
    r->need = r->count * r->esz;
    *state = r;
    return RUNE_OK;
}

static int32_t rand_read(void *state, uint8_t *buf, size_t len, rune_error *err)
{
    rand_state *r = state;
    const size_t esz = r->esz, need = r->need;
    if (len < need) {
        RUNE_ERR(err, RUNE_E_LIMIT, "buffer of %zu bytes is smaller than one reading (%zu)", len,
                 need);
        return RUNE_ABI_E_LIMIT;
    }
    if (r->elem == RUNE_ELEM_F32) { /* the common reading, without a type test per element */
        for (size_t i = 0; i < r->count; i++) {
            float f = (float)(splitmix64(&r->s) >> 40) / 16777216.0f; /* 24 bits: exact, [0, 1) */
            memcpy(buf + 4 * i, &f, 4);
        }
        return (int32_t)need;
    }
    for (size_t i = 0; i < r->count; i++) {
        uint64_t v = splitmix64(&r->s);
        uint8_t *d = buf + i * esz;
        if (r->elem == RUNE_ELEM_F32) {
            float f = (float)(v >> 40) / 16777216.0f; /* 24 random bits: exact in [0, 1) */
            memcpy(d, &f, 4);
        } else if (r->elem == RUNE_ELEM_F64) {
            double x = (double)(v >> 11) / 9007199254740992.0; /* 53 bits */
            memcpy(d, &x, 8);
        } else {
            for (size_t k = 0; k < esz; k++) d[k] = (uint8_t)(v >> (8 * k));
        }
    }
    return (int32_t)need;
}

static void rand_close(void *state) { rune_free(state); }
static void rand_free(rune_cap_provider *p)
{
    rune_free(p->ud);
    rune_free(p);
}

rune_status rune_cap_random(uint64_t seed, rune_cap_provider **out, rune_error *err)
{
    rune_cap_provider *p = rune_calloc(1, sizeof *p);
    uint64_t *s = rune_malloc(sizeof *s);
    if (!p || !s) {
        rune_free(p);
        rune_free(s);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    *s = seed;
    p->kind = RUNE_CAP_RAND;
    p->source = "seeded random";
    p->open = rand_open;
    p->read = rand_read;
    p->close = rand_close;
    p->free = rand_free;
    p->ud = s;
    *out = p;
    return RUNE_OK;
}

void rune_cap_provider_free(rune_cap_provider *p)
{
    if (!p) return;
    if (p->free)
        p->free(p);
    else
        rune_free(p);
}

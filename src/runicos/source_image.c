/*
 * source_image.c - image decoding and conversion for the IMAGE capability fed from files.
 *
 * Decoding picks the decoder by the file's first bytes (image_int.h): PNG (libpng), JPEG
 * (libjpeg-turbo), PGM/PPM (image_pnm.c), BMP (stb_image on a heap budget); up to 16384 pixels a
 * side and 64 megapixels, checked on the header before any pixel memory is taken. Resizing is
 * stb_image_resize (Mitchell/Catmull-Rom filters, as good as it needs to be for 96x96 model
 * inputs). Channel conversion: gray = (299 R + 587 G + 114 B) / 1000 rounded (ITU-R BT.601 luma),
 * gray -> RGB by replication; alpha is dropped. Both steps are skipped when the image already has
 * the wanted shape, so a 96x96 gray PNG reaches the rune byte for byte.
 */
#include "image_int.h"
#include "rune/alloc.h"
#include "rune/source.h"

#include <stb/stb_image_resize.h>
#include <string.h>

#define IMAGE_MAX_SIDE RUNE_IMAGE_MAX_SIDE

rune_status rune_image_check_size(const char *format, uint64_t w, uint64_t h, rune_error *err)
{
    if (w == 0 || h == 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
        return RUNE_ERR(err, RUNE_E_LIMIT, "image: %s: %llux%llu is outside 1..%d pixels a side",
                        format, (unsigned long long)w, (unsigned long long)h, IMAGE_MAX_SIDE);
    if (w * h > RUNE_IMAGE_MAX_PIXELS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "image: %s: %llux%llu is more than %u megapixels",
                        format, (unsigned long long)w, (unsigned long long)h,
                        RUNE_IMAGE_MAX_PIXELS >> 20);
    return RUNE_OK;
}

typedef rune_status (*image_decoder)(const uint8_t *, size_t, int, rune_image *, rune_error *);

/* The decoder for these bytes, by their signature; NULL if none. */
static image_decoder decoder_for(const uint8_t *b, size_t len)
{
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return rune_image_png;
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return rune_image_jpeg;
    if (len >= 2 && b[0] == 'B' && b[1] == 'M') return rune_image_bmp;
    if (len >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') return rune_image_pnm;
    return NULL;
}

static rune_status decode(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                          rune_error *err)
{
    if (!bytes || !out) return RUNE_ERR(err, RUNE_E_ARG, "image: NULL argument");
    memset(out, 0, sizeof *out);
    if (len == 0) return RUNE_ERR(err, RUNE_E_MALFORMED, "image: the file is empty");
    image_decoder d = decoder_for(bytes, len);
    if (!d)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "image: not a PNG, JPEG, BMP or PGM/PPM file (by its first bytes)");
    return d(bytes, len, header_only, out, err);
}

rune_status rune_image_info(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err)
{
    return decode(bytes, len, 1, out, err);
}

rune_status rune_image_decode(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err)
{
    return decode(bytes, len, 0, out, err);
}

rune_status rune_image_load(const char *path, rune_image *out, rune_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(path, 256u << 20, &buf, &len, err);
    if (st != RUNE_OK) return st;
    st = rune_image_decode(buf, len, out, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}

/* Convert channel layout at the same size: dst has dc channels (1 or 3), src has sc (1..4). */
static void convert_channels(const uint8_t *src, uint32_t sc, uint8_t *dst, uint32_t dc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = src + i * sc;
        uint8_t *d = dst + i * dc;
        if (dc == 1) {
            if (sc >= 3)
                d[0] = (uint8_t)((299u * s[0] + 587u * s[1] + 114u * s[2] + 500u) / 1000u);
            else
                d[0] = s[0];
        } else {
            if (sc >= 3) {
                d[0] = s[0];
                d[1] = s[1];
                d[2] = s[2];
            } else {
                d[0] = d[1] = d[2] = s[0];
            }
        }
    }
}

rune_status rune_image_convert(const rune_image *src, uint32_t width, uint32_t height,
                               uint32_t channels, rune_image *out, rune_error *err)
{
    if (!src || !out || !src->pixels) return RUNE_ERR(err, RUNE_E_ARG, "image: NULL argument");
    memset(out, 0, sizeof *out);
    if (channels != 1 && channels != 3)
        return RUNE_ERR(err, RUNE_E_ARG, "image: %u channels asked; only 1 (gray) or 3 (RGB)",
                        channels);
    if (width == 0 || height == 0 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return RUNE_ERR(err, RUNE_E_ARG, "image: target size %ux%u out of range", width, height);
    size_t n_src = (size_t)src->width * src->height;
    uint8_t *conv = rune_malloc_array(n_src, channels);
    if (!conv) return RUNE_ERR(err, RUNE_E_NOMEM, "image: out of memory");
    convert_channels(src->pixels, src->channels, conv, channels, n_src);
    if (src->width == width && src->height == height) {
        out->pixels = conv;
    } else {
        uint8_t *resized = rune_malloc_array((size_t)width * height, channels);
        if (!resized) {
            rune_free(conv);
            return RUNE_ERR(err, RUNE_E_NOMEM, "image: out of memory");
        }
        if (!stbir_resize_uint8(conv, (int)src->width, (int)src->height, 0, resized, (int)width,
                                (int)height, 0, (int)channels)) {
            rune_free(conv);
            rune_free(resized);
            return RUNE_ERR(err, RUNE_E_INTERNAL, "image: resize failed");
        }
        rune_free(conv);
        out->pixels = resized;
    }
    out->width = width;
    out->height = height;
    out->channels = channels;
    return RUNE_OK;
}

void rune_image_free(rune_image *img)
{
    if (!img) return;
    rune_free(img->pixels);
    memset(img, 0, sizeof *img);
}

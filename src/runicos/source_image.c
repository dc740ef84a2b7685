/*
 * source_image.c - image decoding and conversion for the IMAGE capability fed from files.
 *
 * Decoding is stb_image's (Debian libstb-dev, compiled in image_stb.c so its heap is on a budget):
 * PNG, JPEG, BMP, PGM/PPM, GIF, TGA, up to 16384 a side and 64 megapixels. Resizing is
 * stb_image_resize (Mitchell/Catmull-Rom filters, as good as it needs to be for 96x96 model
 * inputs). Channel conversion: gray = (299 R + 587 G + 114 B) / 1000 rounded (ITU-R BT.601 luma),
 * gray -> RGB by replication; alpha is dropped. Both steps are skipped when the image already has
 * the wanted shape, so a 96x96 gray PNG reaches the rune byte for byte.
 */
#include "image_stb.h"
#include "rune/alloc.h"
#include "rune/source.h"

#include <stb/stb_image_resize.h>
#include <string.h>

#define IMAGE_MAX_SIDE RUNE_IMAGE_MAX_SIDE

/*
 * The heap one decode may use: the file, plus 32 bytes a pixel (the largest need among the formats:
 * a 16-bit RGBA PNG holds its inflated rows, the 16-bit image and the 8-bit one at once), plus 1
 * MiB for tables. Anything a header claims beyond this is refused, whatever the file says.
 */
static size_t decode_budget(size_t len, int w, int h)
{
    return len + 32u * (size_t)w * (size_t)h + (1u << 20);
}

rune_status rune_image_info(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err)
{
    if (!bytes || !out) return RUNE_ERR(err, RUNE_E_ARG, "image: NULL argument");
    memset(out, 0, sizeof *out);
    if (len == 0 || len > 0x7fffffff)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: empty or huge");
    int w = 0, h = 0, c = 0;
    const char *why = "unknown";
    if (!rune_stb_info(bytes, (int)len, &w, &h, &c, &why))
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: %s", why);
    if (w <= 0 || h <= 0 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
        return RUNE_ERR(err, RUNE_E_LIMIT, "image: %dx%d is outside 1..%d pixels a side", w, h,
                        IMAGE_MAX_SIDE);
    if ((size_t)w * (size_t)h > RUNE_IMAGE_MAX_PIXELS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "image: %dx%d is more than %u megapixels", w, h,
                        RUNE_IMAGE_MAX_PIXELS >> 20);
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = (uint32_t)c;
    return RUNE_OK;
}

rune_status rune_image_decode(const uint8_t *bytes, size_t len, rune_image *out, rune_error *err)
{
    rune_status st = rune_image_info(bytes, len, out, err);
    if (st != RUNE_OK) return st;
    int w = (int)out->width, h = (int)out->height, c = (int)out->channels;
    const char *why = "unknown";
    out->width = out->height = out->channels = 0;
    size_t budget = decode_budget(len, w, h);
    int over = 0;
    uint8_t *px = rune_stb_decode(bytes, (int)len, budget, &w, &h, &c, &why, &over);
    if (!px && over)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "image: decoding this %dx%d image would take more than %zu MiB; the file's "
                        "sizes do not match its data (corrupt or hostile)",
                        w, h, budget >> 20);
    if (!px) return RUNE_ERR(err, RUNE_E_MALFORMED, "image: %s", why);
    size_t n = (size_t)w * (size_t)h * (size_t)c;
    out->pixels = rune_malloc(n);
    if (!out->pixels) {
        rune_stb_free(px);
        return RUNE_ERR(err, RUNE_E_NOMEM, "image: out of memory for %dx%dx%d", w, h, c);
    }
    memcpy(out->pixels, px, n);
    rune_stb_free(px);
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = (uint32_t)c;
    return RUNE_OK;
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

/*
 * image_png.c - PNG to 8-bit pixels with libpng (Debian libpng-dev), the reference decoder.
 *
 * libpng streams the image data through zlib a row at a time, so memory is the output buffer plus
 * one row, whatever the chunks claim; ancillary chunks it keeps are capped at 8 MiB and the sides
 * at RUNE_IMAGE_MAX_SIDE. CRCs of critical chunks are checked. Transforms give 8 bits a channel as
 * stb_image did: 16-bit samples keep their high byte, palettes expand to RGB, a tRNS chunk to an
 * alpha channel, 1/2/4-bit gray to 8 bits, and interlaced images are put together. Gamma and colour
 * profiles are not applied: a sensor's values reach the model as stored.
 *
 * libpng reports errors by longjmp to the setjmp below (its documented protocol); the jump never
 * leaves this file, and what was allocated is freed on that path.
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "image_int.h"
#include "rune/alloc.h"

typedef struct png_src {
    const uint8_t *p;
    size_t len, at;
    char msg[160];
} png_src;

static void read_bytes(png_structp png, png_bytep out, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->at) png_error(png, "the file ends inside the image");
    memcpy(out, s->p + s->at, n);
    s->at += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings (a bad ancillary chunk) do not stop the decode */
}

rune_status rune_image_png(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err)
{
    memset(out, 0, sizeof *out);
    png_src src = {bytes, len, 0, "unknown error"};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return RUNE_ERR(err, RUNE_E_NOMEM, "image: PNG: out of memory");
    }
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        rune_free(px);
        rune_free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        memset(out, 0, sizeof *out);
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: PNG: %s", src.msg);
    }
    png_set_user_limits(png, RUNE_IMAGE_MAX_SIDE, RUNE_IMAGE_MAX_SIDE);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_read_fn(png, &src, read_bytes);
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
    rune_status st = rune_image_check_size("PNG", w, h, err);
    if (st != RUNE_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return st;
    }
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    unsigned c = png_get_channels(png, info);
    size_t row = png_get_rowbytes(png, info);
    if (c < 1 || c > 4 || row != (size_t)w * c) png_error(png, "unexpected pixel layout");
    out->width = w;
    out->height = h;
    out->channels = c;
    if (header_only) {
        png_destroy_read_struct(&png, &info, NULL);
        return RUNE_OK;
    }
    px = rune_malloc_array(h, row);
    rows = rune_malloc_array(h, sizeof *rows);
    if (!px || !rows) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = px + (size_t)y * row;
    png_read_image(png, rows); /* what follows the image data is not needed, so not read */
    rune_free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = px;
    return RUNE_OK;
}

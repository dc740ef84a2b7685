/*
 * image_int.h - the image decoders behind rune_image_decode (source_image.c), one file per format:
 * PNG (libpng, image_png.c), JPEG (libjpeg-turbo, image_jpeg.c), PGM/PPM (image_pnm.c) and BMP
 * (stb_image on a heap budget, image_bmp.c). Internal to rune_runicos.
 *
 * Each decoder reads the header, calls rune_image_check_size before it allocates anything sized by
 * it, and then (unless header_only) decodes to 8-bit pixels in a rune_malloc'd buffer: 1 channel
 * (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA), rows top first. Errors start "image: FORMAT: ".
 */
#ifndef RUNE_IMAGE_INT_H
#define RUNE_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rune/source.h"

#define RUNE_IMAGE_MAX_SIDE 16384
#define RUNE_IMAGE_MAX_PIXELS (1u << 26) /* 64 megapixels */

/* RUNE_E_LIMIT unless 1 <= w, h <= RUNE_IMAGE_MAX_SIDE and w * h <= RUNE_IMAGE_MAX_PIXELS. */
rune_status rune_image_check_size(const char *format, uint64_t w, uint64_t h, rune_error *err);

rune_status rune_image_png(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err);
rune_status rune_image_jpeg(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                            rune_error *err);
rune_status rune_image_pnm(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err);
rune_status rune_image_bmp(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err);

#endif

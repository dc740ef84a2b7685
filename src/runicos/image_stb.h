/*
 * image_stb.h - stb_image's decoder, compiled into librune with its heap on a budget (image_stb.c).
 * Internal to rune_runicos.
 */
#ifndef RUNE_IMAGE_STB_H
#define RUNE_IMAGE_STB_H

#include <stddef.h>
#include <stdint.h>

/* The size a side and the pixel count the decoder accepts. */
#define RUNE_IMAGE_MAX_SIDE 16384
#define RUNE_IMAGE_MAX_PIXELS (1u << 26) /* 64 megapixels */

/* Width, height and channels from the header alone; 0 and *why set when it is not an image. */
int rune_stb_info(const uint8_t *bytes, int len, int *w, int *h, int *c, const char **why);

/*
 * Decode to 8-bit pixels (w*h*c bytes) using at most budget bytes of heap at any moment. NULL and
 * *why on failure; *over_budget is set when the budget was what stopped it. Free with
 * rune_stb_free.
 */
uint8_t *rune_stb_decode(const uint8_t *bytes, int len, size_t budget, int *w, int *h, int *c,
                         const char **why, int *over_budget);
void rune_stb_free(void *pixels);

#endif

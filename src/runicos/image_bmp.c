/*
 * image_bmp.c - BMP to 8-bit pixels with stb_image (Debian libstb-dev), compiled here so that its
 * heap goes through a budget.
 *
 * stb_image trusts sizes it reads before the data behind them, so every allocation it makes goes
 * through rune_malloc (leak checks and fault injection see it) and counts against a per-decode
 * budget sized from the image's real dimensions and the file's length: the file, plus 8 bytes a
 * pixel (the 8-bit image and stb's conversion of it), plus 1 MiB. A decode that asks for more
 * fails with a message; the host's memory is never at the mercy of a header. Only the BMP decoder
 * is compiled (PNG, JPEG and PNM have decoders of their own). The budget is per thread.
 */
#include "image_int.h"
#include <string.h>

#include "rune/alloc.h"

#include <stddef.h>

/* Unused decoder functions are static here (and the BMP decoder never reallocates); stb 2.27 also
 * declares one it never defines when static, reported at the end of the file, so this warning
 * stays off for the whole file. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* One header in front of every block, so free and realloc know what to give back to the budget. */
typedef union stb_block {
    size_t size;
    max_align_t align;
} stb_block;

static _Thread_local struct {
    size_t left;
    int over;
} budget;

static void *budget_malloc(size_t n)
{
    if (n > budget.left) {
        budget.over = 1;
        return NULL;
    }
    stb_block *b = rune_malloc(sizeof *b + n);
    if (!b) return NULL;
    b->size = n;
    budget.left -= n;
    return b + 1;
}

static void budget_free(void *p)
{
    if (!p) return;
    stb_block *b = (stb_block *)p - 1;
    budget.left += b->size;
    rune_free(b);
}

static void *budget_realloc(void *p, size_t n)
{
    if (!p) return budget_malloc(n);
    stb_block *b = (stb_block *)p - 1;
    size_t old = b->size;
    if (n > old && n - old > budget.left) {
        budget.over = 1;
        return NULL;
    }
    stb_block *q = rune_realloc(b, sizeof *q + n);
    if (!q) return NULL;
    budget.left = budget.left + old - n;
    q->size = n;
    return q + 1;
}

#define STBI_MALLOC(n) budget_malloc(n)
#define STBI_REALLOC(p, n) budget_realloc((p), (n))
#define STBI_FREE(p) budget_free(p)
#define STBI_MAX_DIMENSIONS RUNE_IMAGE_MAX_SIDE
#define STBI_NO_STDIO
#define STBI_ONLY_BMP
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION

/* Unused decoder functions are static here; stb 2.27 also declares one it never defines when
 * static, which is reported at the end of the file, so this warning stays off for the whole file.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

rune_status rune_image_bmp(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err)
{
    memset(out, 0, sizeof *out);
    int w = 0, h = 0, c = 0;
    if (len > 0x7fffffff || !stbi_info_from_memory(bytes, (int)len, &w, &h, &c))
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: BMP: %s",
                        len > 0x7fffffff ? "file too big" : stbi_failure_reason());
    rune_status st =
        rune_image_check_size("BMP", (uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0), err);
    if (st != RUNE_OK) return st;
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = (uint32_t)c;
    if (header_only) return RUNE_OK;
    size_t limit = len + 8u * (size_t)w * (size_t)h + (1u << 20);
    budget.left = limit;
    budget.over = 0;
    uint8_t *px = stbi_load_from_memory(bytes, (int)len, &w, &h, &c, 0);
    int over = budget.over;
    budget.left = 0; /* until the next decode, nothing else may allocate through the budget */
    if (!px) {
        memset(out, 0, sizeof *out);
        if (over)
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "image: BMP: decoding this %dx%d image would take more than %zu MiB; "
                            "the file's sizes do not match its data (corrupt or hostile)",
                            w, h, limit >> 20);
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: BMP: %s", stbi_failure_reason());
    }
    size_t n = (size_t)w * (size_t)h * (size_t)c;
    out->pixels = rune_malloc(n);
    if (!out->pixels) {
        budget_free(px);
        memset(out, 0, sizeof *out);
        return RUNE_ERR(err, RUNE_E_NOMEM, "image: BMP: out of memory for %zu bytes", n);
    }
    memcpy(out->pixels, px, n);
    budget_free(px);
    return RUNE_OK;
}

/*
 * image_stb.c - stb_image (Debian libstb-dev) compiled here, its heap routed through a budget.
 *
 * stb_image trusts sizes it reads before the data behind them: a PNG chunk that claims 1.4 GB makes
 * it reserve 2 GB for image data the file does not hold, and a deflate stream may inflate past the
 * image it describes. Compiling the decoder in this file lets every allocation it makes go through
 * rune_malloc (so leak checks and fault injection see it) and count against a per-decode budget
 * that the caller sizes from the image's real dimensions and the file's length. A decode that asks
 * for more fails with a message; the host's memory is never at the mercy of a header.
 *
 * Only the formats the IMAGE capability documents are compiled: PNG, JPEG, BMP, PGM/PPM, GIF, TGA.
 * The budget is per thread, so concurrent decodes on different threads do not share it.
 */
#include "image_stb.h"

#include "rune/alloc.h"

#include <stddef.h>

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
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
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

int rune_stb_info(const uint8_t *bytes, int len, int *w, int *h, int *c, const char **why)
{
    if (stbi_info_from_memory(bytes, len, w, h, c)) return 1;
    *why = stbi_failure_reason();
    return 0;
}

uint8_t *rune_stb_decode(const uint8_t *bytes, int len, size_t limit, int *w, int *h, int *c,
                         const char **why, int *over_budget)
{
    budget.left = limit;
    budget.over = 0;
    uint8_t *px = stbi_load_from_memory(bytes, len, w, h, c, 0);
    *over_budget = budget.over;
    if (!px) *why = stbi_failure_reason();
    budget.left = 0; /* until the next decode, nothing else may allocate through the budget */
    return px;
}

void rune_stb_free(void *pixels)
{
    budget_free(pixels);
}

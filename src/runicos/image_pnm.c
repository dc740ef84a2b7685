/*
 * image_pnm.c - Netpbm gray and colour maps (PGM P2/P5, PPM P3/P6) to 8-bit pixels.
 *
 * Format (netpbm.sourceforge.net/doc/pgm.html, ppm.html): the magic, then width, height and maxval
 * as decimal numbers separated by whitespace, with '#' comments to the end of a line; then, for P5
 * and P6, exactly one whitespace byte and the samples in binary (one byte each when maxval < 256,
 * else two, most significant first), or for P2 and P3 the samples as decimal numbers. maxval is
 * 1..65535; samples are scaled to 0..255 by v * 255 / maxval, rounded (exact when maxval is 255).
 * Only the first image of a multi-image file is read. Workload: one pass over the samples.
 */
#include <string.h>

#include "image_int.h"
#include "rune/alloc.h"

typedef struct pnm_cur {
    const uint8_t *p;
    size_t len, at;
} pnm_cur;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip whitespace and comments. */
static void skip_blank(pnm_cur *c)
{
    while (c->at < c->len) {
        if (is_space(c->p[c->at])) {
            c->at++;
        } else if (c->p[c->at] == '#') {
            while (c->at < c->len && c->p[c->at] != '\n')
                c->at++;
        } else {
            break;
        }
    }
}

/* A decimal number no greater than max; 0 with *ok cleared if there is none or it is too big. */
static uint32_t number(pnm_cur *c, uint32_t max, int *ok)
{
    skip_blank(c);
    size_t start = c->at;
    uint64_t v = 0;
    while (c->at < c->len && c->p[c->at] >= '0' && c->p[c->at] <= '9') {
        v = v * 10 + (uint64_t)(c->p[c->at] - '0');
        c->at++;
        if (v > max) break;
    }
    if (c->at == start || v > max ||
        (c->at < c->len && !is_space(c->p[c->at]) && c->p[c->at] != '#'))
        *ok = 0;
    return (uint32_t)v;
}

rune_status rune_image_pnm(const uint8_t *bytes, size_t len, int header_only, rune_image *out,
                           rune_error *err)
{
    memset(out, 0, sizeof *out);
    const char *fmt = len >= 2 && (bytes[1] == '3' || bytes[1] == '6') ? "PPM" : "PGM";
    if (len < 2 || bytes[0] != 'P' || !strchr("2356", bytes[1]) || bytes[1] == 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "image: %s: only P2, P3, P5 and P6 are read", fmt);
    int binary = bytes[1] == '5' || bytes[1] == '6';
    uint32_t ch = bytes[1] == '3' || bytes[1] == '6' ? 3 : 1;
    pnm_cur c = {bytes, len, 2};
    int ok = 1;
    uint32_t w = number(&c, UINT32_MAX, &ok); /* too big for us is rune_image_check_size's to say */
    uint32_t h = number(&c, UINT32_MAX, &ok);
    uint32_t maxval = number(&c, 65535, &ok);
    if (!ok || maxval == 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "image: %s: the header needs width, height and a maxval of 1 to 65535",
                        fmt);
    rune_status st = rune_image_check_size(fmt, w, h, err);
    if (st != RUNE_OK) return st;
    out->width = w;
    out->height = h;
    out->channels = ch;
    if (header_only) return RUNE_OK;

    size_t n = (size_t)w * h * ch, bps = maxval < 256 ? 1 : 2;
    if (binary) {
        if (c.at >= len || !is_space(bytes[c.at]))
            return RUNE_ERR(err, RUNE_E_MALFORMED, "image: %s: no whitespace after the header",
                            fmt);
        c.at++;
        if (len - c.at < n * bps)
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "image: %s: the file holds %zu of the image's %zu sample bytes", fmt,
                            len - c.at, n * bps);
    }
    uint8_t *px = rune_malloc(n);
    if (!px) return RUNE_ERR(err, RUNE_E_NOMEM, "image: %s: out of memory for %zu bytes", fmt, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (binary) {
            const uint8_t *s = bytes + c.at + i * bps;
            v = bps == 1 ? s[0] : (uint32_t)s[0] << 8 | s[1];
        } else {
            v = number(&c, 65535, &ok);
        }
        if (!ok || v > maxval) {
            rune_free(px);
            memset(out, 0, sizeof *out);
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "image: %s: sample %zu of %zu is missing or above maxval %u", fmt, i, n,
                            maxval);
        }
        px[i] = maxval == 255 ? (uint8_t)v : (uint8_t)((v * 255u + maxval / 2) / maxval);
    }
    out->pixels = px;
    return RUNE_OK;
}

/*
 * aot_buf.c - the growable buffer the AOT engine builds modules, C text and paths in.
 *
 * Workload: generated C of a few KB to a few MB, appended in small pieces; doubling growth. A
 * failed allocation sets b->oom and later appends do nothing, so callers check once at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"
#include "aot_int.h"

static int buf_reserve(rw_aot_buf *b, size_t extra)
{
    if (b->oom) return 0;
    size_t need;
    if (rune_add_overflow(b->len, extra + 1, &need)) {
        b->oom = 1;
        return 0;
    }
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return 0;
        }
        cap *= 2;
    }
    char *p = rune_realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void rw_aot_buf_put(rw_aot_buf *b, const void *data, size_t len)
{
    if (!buf_reserve(b, len)) return;
    if (len) memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void rw_aot_buf_byte(rw_aot_buf *b, uint8_t c)
{
    rw_aot_buf_put(b, &c, 1);
}

void rw_aot_buf_u32(rw_aot_buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v) c |= 0x80;
        rw_aot_buf_byte(b, c);
    } while (v);
}

void rw_aot_buf_printf(rw_aot_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
    } else if (buf_reserve(b, (size_t)n)) {
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void rw_aot_buf_free(rw_aot_buf *b)
{
    if (!b) return;
    rune_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

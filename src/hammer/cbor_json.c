/*
 * cbor_json.c - a decoded CBOR answer as JSON text, for `hmr ... --json` and for metrics.
 *
 * Written out directly into a growing rune_malloc'd buffer (no JSON library: the mapping is a
 * straight walk, and integers stay exact to 2^64 where a double-based library would round them).
 * Byte strings become lower-case hex (digests), text is escaped as JSON requires, NaN and the
 * infinities become null. Recursion follows the document's nesting, which the decoder bounds
 * (RUNE_CBOR_MAX_DEPTH). Workload: answers of a few KB.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hammer_int.h"
#include "rune/alloc.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool nomem;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->nomem) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = rune_realloc(b->p, cap);
        if (!p) {
            b->nomem = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void putz(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(sbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_text(sbuf *b, const uint8_t *s, size_t n)
{
    put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, (const char *)s + run, i - run);
        run = i + 1;
        if (c == '"')
            putz(b, "\\\"");
        else if (c == '\\')
            putz(b, "\\\\");
        else if (c == '\n')
            putz(b, "\\n");
        else if (c == '\t')
            putz(b, "\\t");
        else if (c == '\r')
            putz(b, "\\r");
        else
            putf(b, "\\u%04x", c);
    }
    put(b, (const char *)s + run, n - run);
    put(b, "\"", 1);
}

static rune_status item(sbuf *b, const rune_cbor_doc *d, uint32_t i, int depth, rune_error *err)
{
    if (i >= d->n || depth > RUNE_CBOR_MAX_DEPTH)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "json: item %u is outside the document", i);
    const rune_cbor_item *it = &d->items[i];
    switch (it->type) {
    case RUNE_CBOR_UINT: putf(b, "%llu", (unsigned long long)it->v.u); break;
    case RUNE_CBOR_NINT: putf(b, "%lld", (long long)it->v.i); break;
    case RUNE_CBOR_FLOAT:
        if (isfinite(it->v.f))
            putf(b, "%.17g", it->v.f);
        else
            putz(b, "null");
        break;
    case RUNE_CBOR_BOOL: putz(b, it->v.b ? "true" : "false"); break;
    case RUNE_CBOR_TEXT: put_text(b, it->v.s.p, it->v.s.len); break;
    case RUNE_CBOR_BYTES:
        put(b, "\"", 1);
        for (size_t k = 0; k < it->v.s.len; k++)
            putf(b, "%02x", it->v.s.p[k]);
        put(b, "\"", 1);
        break;
    case RUNE_CBOR_ARRAY:
        put(b, "[", 1);
        for (uint32_t k = 0; k < it->count; k++) {
            long e = rune_cbor_array_at(d, i, k);
            if (e < 0) return RUNE_ERR(err, RUNE_E_MALFORMED, "json: array element %u missing", k);
            if (k) put(b, ",", 1);
            rune_status st = item(b, d, (uint32_t)e, depth + 1, err);
            if (st != RUNE_OK) return st;
        }
        put(b, "]", 1);
        break;
    case RUNE_CBOR_MAP: {
        put(b, "{", 1);
        uint32_t k = i + 1;
        for (uint32_t pair = 0; pair < it->count; pair++) {
            if (k >= d->n)
                return RUNE_ERR(err, RUNE_E_MALFORMED, "json: map pair %u missing", pair);
            const rune_cbor_item *key = &d->items[k];
            if (pair) put(b, ",", 1);
            if (key->type == RUNE_CBOR_TEXT)
                put_text(b, key->v.s.p, key->v.s.len);
            else if (key->type == RUNE_CBOR_UINT)
                putf(b, "\"%llu\"", (unsigned long long)key->v.u);
            else if (key->type == RUNE_CBOR_NINT)
                putf(b, "\"%lld\"", (long long)key->v.i);
            else
                putz(b, "\"?\"");
            put(b, ":", 1);
            uint32_t v = key->next;
            rune_status st = item(b, d, v, depth + 1, err);
            if (st != RUNE_OK) return st;
            k = d->items[v].next;
        }
        put(b, "}", 1);
        break;
    }
    default: putz(b, "null"); break;
    }
    return RUNE_OK;
}

rune_status rune_hmr_cbor_to_json(const rune_cbor_doc *doc, uint32_t idx, char **json,
                                  rune_error *err)
{
    *json = NULL;
    if (!doc) return RUNE_ERR(err, RUNE_E_ARG, "json: no document");
    sbuf b = {NULL, 0, 0, false};
    rune_status st = item(&b, doc, idx, 0, err);
    if (st == RUNE_OK && b.nomem) st = RUNE_ERR(err, RUNE_E_NOMEM, "json: out of memory");
    if (st != RUNE_OK) {
        rune_free(b.p);
        return st;
    }
    *json = b.p;
    return RUNE_OK;
}

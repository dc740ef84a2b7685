/*
 * cbor_dec.c - bounded CBOR decoder into a flat, caller-owned item array, and map/array lookups.
 *
 * Workload: SMP bodies from untrusted peers, up to 64 KB, a few to a few hundred items.
 * Hand-written instead of libcbor (see smp.h): it allocates nothing, strings stay in the input,
 * nesting is limited to RUNE_CBOR_MAX_DEPTH (the recursion depth is bounded by it) and the item
 * count to the array the caller gives. Every declared length is checked against the bytes left
 * before it is used.
 */
#include <math.h>
#include <string.h>

#include "rune/smp.h"

typedef struct dec {
    const uint8_t *p, *end;
    rune_cbor_item *items;
    size_t cap;
    uint32_t n;
    rune_error *err;
} dec;

static rune_status truncated(dec *d, const char *what)
{
    return RUNE_ERR(d->err, RUNE_E_MALFORMED, "cbor: truncated %s", what);
}

static rune_status read_arg(dec *d, uint8_t ai, uint64_t *val)
{
    if (ai < 24) {
        *val = ai;
        return RUNE_OK;
    }
    size_t n = (size_t)1 << (ai - 24); /* 1, 2, 4, 8 */
    if ((size_t)(d->end - d->p) < n) return truncated(d, "integer argument");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | d->p[i];
    d->p += n;
    *val = v;
    return RUNE_OK;
}

static double half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(mant, -24);
    else if (exp != 31)
        v = ldexp(mant + 1024, exp - 25);
    else
        v = mant == 0 ? INFINITY : NAN;
    return (h & 0x8000) ? -v : v;
}

static rune_status decode_item(dec *d, int depth);

static rune_status decode_children(dec *d, uint32_t idx, uint8_t major, bool indef, uint64_t val,
                                   int depth)
{
    rune_status st;
    if (depth + 1 > RUNE_CBOR_MAX_DEPTH)
        return RUNE_ERR(d->err, RUNE_E_LIMIT, "cbor: nesting deeper than %d", RUNE_CBOR_MAX_DEPTH);
    unsigned per = major == 5 ? 2 : 1;
    if (!indef) {
        size_t left = (size_t)(d->end - d->p);
        /* every item takes at least one byte: a count past the bytes left is a lie */
        if (val > left / per)
            return RUNE_ERR(d->err, RUNE_E_MALFORMED,
                            "cbor: %s declares %llu entries but only %zu bytes follow",
                            major == 5 ? "map" : "array", (unsigned long long)val, left);
        for (uint64_t i = 0; i < val * per; i++)
            if ((st = decode_item(d, depth + 1)) != RUNE_OK) return st;
        d->items[idx].count = (uint32_t)val;
        return RUNE_OK;
    }
    uint64_t n = 0;
    for (;;) {
        if (d->p >= d->end) return truncated(d, "indefinite-length container (no break)");
        if (*d->p == 0xff) {
            d->p++;
            break;
        }
        if ((st = decode_item(d, depth + 1)) != RUNE_OK) return st;
        n++;
    }
    if (major == 5 && n % 2)
        return RUNE_ERR(d->err, RUNE_E_MALFORMED, "cbor: map has a key without a value");
    d->items[idx].count = (uint32_t)(n / per);
    return RUNE_OK;
}

static rune_status decode_item(dec *d, int depth)
{
    if (d->p >= d->end) return truncated(d, "item");
    uint8_t ib = *d->p++;
    uint8_t major = ib >> 5, ai = ib & 31;
    if (ai >= 28 && ai <= 30)
        return RUNE_ERR(d->err, RUNE_E_MALFORMED, "cbor: reserved additional info %u", ai);
    bool indef = ai == 31;
    if (indef) {
        if (major == 2 || major == 3)
            return RUNE_ERR(d->err, RUNE_E_UNSUPPORTED,
                            "cbor: indefinite-length strings are not supported");
        if (major != 4 && major != 5)
            return RUNE_ERR(d->err, RUNE_E_MALFORMED, "cbor: unexpected break or indefinite item");
    }
    uint64_t val = 0;
    rune_status st;
    if (!indef && major != 7 && (st = read_arg(d, ai, &val)) != RUNE_OK) return st;
    if (d->n >= d->cap) return RUNE_ERR(d->err, RUNE_E_LIMIT, "cbor: more than %zu items", d->cap);
    uint32_t idx = d->n++;
    rune_cbor_item *it = &d->items[idx];
    memset(it, 0, sizeof *it);
    switch (major) {
    case 0:
        it->type = RUNE_CBOR_UINT;
        it->v.u = val;
        break;
    case 1:
        if (val > (uint64_t)INT64_MAX)
            return RUNE_ERR(d->err, RUNE_E_UNSUPPORTED, "cbor: negative integer below -2^63");
        it->type = RUNE_CBOR_NINT;
        it->v.i = -(int64_t)val - 1;
        break;
    case 2:
    case 3:
        if (val > (uint64_t)(d->end - d->p))
            return RUNE_ERR(
                d->err, RUNE_E_MALFORMED, "cbor: %s string declares %llu bytes but only %zu follow",
                major == 2 ? "byte" : "text", (unsigned long long)val, (size_t)(d->end - d->p));
        it->type = major == 2 ? RUNE_CBOR_BYTES : RUNE_CBOR_TEXT;
        it->v.s.p = d->p;
        it->v.s.len = (size_t)val;
        d->p += val;
        break;
    case 4:
    case 5:
        it->type = major == 4 ? RUNE_CBOR_ARRAY : RUNE_CBOR_MAP;
        if ((st = decode_children(d, idx, major, indef, val, depth)) != RUNE_OK) return st;
        it = &d->items[idx];
        break;
    case 6: return RUNE_ERR(d->err, RUNE_E_UNSUPPORTED, "cbor: tags are not used by SMP");
    default: /* 7: simple values and floats */
        if (ai == 20 || ai == 21) {
            it->type = RUNE_CBOR_BOOL;
            it->v.b = ai == 21;
        } else if (ai == 22) {
            it->type = RUNE_CBOR_NULL;
        } else if (ai == 23) {
            it->type = RUNE_CBOR_UNDEF;
        } else if (ai >= 25 && ai <= 27) {
            if ((st = read_arg(d, ai, &val)) != RUNE_OK) return st;
            it->type = RUNE_CBOR_FLOAT;
            if (ai == 25) {
                it->v.f = half_to_double((uint16_t)val);
            } else if (ai == 26) {
                uint32_t b32 = (uint32_t)val;
                float f;
                memcpy(&f, &b32, sizeof f);
                it->v.f = f;
            } else {
                memcpy(&it->v.f, &val, sizeof it->v.f);
            }
        } else {
            return RUNE_ERR(d->err, RUNE_E_UNSUPPORTED, "cbor: simple value %u is not supported",
                            ai);
        }
        break;
    }
    it->next = d->n;
    return RUNE_OK;
}

rune_status rune_cbor_decode(const uint8_t *buf, size_t len, rune_cbor_item *items, size_t cap,
                             rune_cbor_doc *doc, rune_error *err)
{
    if ((!buf && len) || !items || !doc) return RUNE_ERR(err, RUNE_E_ARG, "cbor: null argument");
    if (cap > UINT32_MAX) cap = UINT32_MAX;
    dec d = {.p = buf, .end = buf + len, .items = items, .cap = cap, .n = 0, .err = err};
    doc->items = items;
    doc->n = 0;
    doc->cap = (uint32_t)cap;
    rune_status st = decode_item(&d, 0);
    if (st != RUNE_OK) return st;
    if (d.p != d.end)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "cbor: %zu bytes after the end of the item",
                        (size_t)(d.end - d.p));
    doc->n = d.n;
    return RUNE_OK;
}

bool rune_cbor_text_eq(const rune_cbor_doc *doc, uint32_t i, const char *s)
{
    if (i >= doc->n || doc->items[i].type != RUNE_CBOR_TEXT) return false;
    size_t n = strlen(s);
    return doc->items[i].v.s.len == n && memcmp(doc->items[i].v.s.p, s, n) == 0;
}

long rune_cbor_map_find(const rune_cbor_doc *doc, uint32_t map, const char *key)
{
    if (map >= doc->n || doc->items[map].type != RUNE_CBOR_MAP) return -1;
    uint32_t i = map + 1;
    for (uint32_t k = 0; k < doc->items[map].count && i < doc->n; k++) {
        uint32_t v = doc->items[i].next;
        if (v >= doc->n) return -1;
        if (rune_cbor_text_eq(doc, i, key)) return (long)v;
        i = doc->items[v].next;
    }
    return -1;
}

long rune_cbor_array_at(const rune_cbor_doc *doc, uint32_t arr, uint32_t idx)
{
    if (arr >= doc->n || doc->items[arr].type != RUNE_CBOR_ARRAY) return -1;
    if (idx >= doc->items[arr].count) return -1;
    uint32_t i = arr + 1;
    for (uint32_t k = 0; k < idx && i < doc->n; k++)
        i = doc->items[i].next;
    return i < doc->n ? (long)i : -1;
}

static const char *type_name(uint8_t t)
{
    static const char *const names[] = {"?",   "uint", "negative int", "bytes",     "text", "array",
                                        "map", "bool", "null",         "undefined", "float"};
    return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static rune_status lookup(const rune_cbor_doc *doc, uint32_t map, const char *key, uint8_t want,
                          const rune_cbor_item **out, rune_error *err)
{
    long i = rune_cbor_map_find(doc, map, key);
    if (i < 0) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "missing \"%s\"", key);
    const rune_cbor_item *it = &doc->items[i];
    if (it->type != want)
        return RUNE_ERR(err, RUNE_E_INVALID, "\"%s\" is %s, want %s", key, type_name(it->type),
                        type_name(want));
    *out = it;
    return RUNE_OK;
}

rune_status rune_cbor_get_uint(const rune_cbor_doc *doc, uint32_t map, const char *key,
                               uint64_t *out, rune_error *err)
{
    const rune_cbor_item *it = NULL;
    rune_status st = lookup(doc, map, key, RUNE_CBOR_UINT, &it, err);
    if (st == RUNE_OK) *out = it->v.u;
    return st;
}

rune_status rune_cbor_get_int(const rune_cbor_doc *doc, uint32_t map, const char *key, int64_t *out,
                              rune_error *err)
{
    long i = rune_cbor_map_find(doc, map, key);
    if (i < 0) return RUNE_ERR(err, RUNE_E_NOT_FOUND, "missing \"%s\"", key);
    const rune_cbor_item *it = &doc->items[i];
    if (it->type == RUNE_CBOR_NINT) {
        *out = it->v.i;
        return RUNE_OK;
    }
    if (it->type == RUNE_CBOR_UINT && it->v.u <= (uint64_t)INT64_MAX) {
        *out = (int64_t)it->v.u;
        return RUNE_OK;
    }
    return RUNE_ERR(err, RUNE_E_INVALID, "\"%s\" is %s, want a 64-bit integer", key,
                    type_name(it->type));
}

rune_status rune_cbor_get_bool(const rune_cbor_doc *doc, uint32_t map, const char *key, bool *out,
                               rune_error *err)
{
    const rune_cbor_item *it = NULL;
    rune_status st = lookup(doc, map, key, RUNE_CBOR_BOOL, &it, err);
    if (st == RUNE_OK) *out = it->v.b;
    return st;
}

rune_status rune_cbor_get_text(const rune_cbor_doc *doc, uint32_t map, const char *key,
                               const char **p, size_t *len, rune_error *err)
{
    const rune_cbor_item *it = NULL;
    rune_status st = lookup(doc, map, key, RUNE_CBOR_TEXT, &it, err);
    if (st == RUNE_OK) {
        *p = (const char *)it->v.s.p;
        *len = it->v.s.len;
    }
    return st;
}

rune_status rune_cbor_get_bytes(const rune_cbor_doc *doc, uint32_t map, const char *key,
                                const uint8_t **p, size_t *len, rune_error *err)
{
    const rune_cbor_item *it = NULL;
    rune_status st = lookup(doc, map, key, RUNE_CBOR_BYTES, &it, err);
    if (st == RUNE_OK) {
        *p = it->v.s.p;
        *len = it->v.s.len;
    }
    return st;
}

rune_status rune_cbor_get_textz(const rune_cbor_doc *doc, uint32_t map, const char *key, char *out,
                                size_t cap, rune_error *err)
{
    const char *p;
    size_t len;
    rune_status st = rune_cbor_get_text(doc, map, key, &p, &len, err);
    if (st != RUNE_OK) return st;
    if (len >= cap)
        return RUNE_ERR(err, RUNE_E_LIMIT, "\"%s\" is %zu bytes, room for %zu", key, len,
                        cap ? cap - 1 : 0);
    memcpy(out, p, len);
    out[len] = 0;
    return RUNE_OK;
}

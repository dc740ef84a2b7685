/*
 * types.c - tensor types of the pipeline graph: names, parsing ("I16[16000]"), printing and the
 * compatibility rule every edge is checked with (documented in rune/runefile.h).
 * Workload: a handful of types per stage; nothing here allocates.
 */
#include "runefile_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const elem_names[RUNE_RF_ELEM_COUNT] = {
    [RUNE_RF_ANY] = "any",   [RUNE_RF_U8] = "U8",       [RUNE_RF_I8] = "I8",
    [RUNE_RF_U16] = "U16",   [RUNE_RF_I16] = "I16",     [RUNE_RF_U32] = "U32",
    [RUNE_RF_I32] = "I32",   [RUNE_RF_F32] = "F32",     [RUNE_RF_F64] = "F64",
    [RUNE_RF_UTF8] = "UTF8", [RUNE_RF_ANY_INT] = "int", [RUNE_RF_ANY_FLOAT] = "float",
};

static const size_t elem_sizes[RUNE_RF_ELEM_COUNT] = {
    [RUNE_RF_U8] = 1,  [RUNE_RF_I8] = 1,  [RUNE_RF_U16] = 2, [RUNE_RF_I16] = 2,
    [RUNE_RF_U32] = 4, [RUNE_RF_I32] = 4, [RUNE_RF_F32] = 4, [RUNE_RF_F64] = 8,
};

/* The names a Runefile may write, for parsing and for suggestions. */
const char *const rf_elem_names[] = {"U8", "I8", "U16", "I16", "U32", "I32", "F32", "F64", "UTF8"};
const size_t rf_n_elem_names = sizeof rf_elem_names / sizeof rf_elem_names[0];

const char *rune_rf_elem_name(rune_rf_elem e)
{
    if ((unsigned)e >= RUNE_RF_ELEM_COUNT) return "?";
    return elem_names[e];
}

size_t rune_rf_elem_size(rune_rf_elem e)
{
    if ((unsigned)e >= RUNE_RF_ELEM_COUNT) return 0;
    return elem_sizes[e];
}

int rf_elem_parse(const char *s, size_t len)
{
    for (size_t i = 0; i < rf_n_elem_names; i++)
        if (rf_streq_nocase(s, len, rf_elem_names[i])) return (int)(RUNE_RF_U8 + i);
    return -1;
}

int rf_type_parse_ex(const char *s, size_t len, rune_rf_type *out, size_t *bad)
{
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    size_t i = 0;
    while (i < len && s[i] != '[')
        i++;
    if (i == 0) {
        t.elem = RUNE_RF_ANY;
    } else {
        int e = rf_elem_parse(s, i);
        if (e < 0) {
            *bad = 0;
            return 1;
        }
        t.elem = (rune_rf_elem)e;
    }
    if (i == len) {
        if (i == 0) {
            *bad = 0;
            return 2;
        }
        t.rank = -1; /* element type alone: any shape */
        *out = t;
        return 0;
    }
    i++; /* '[' */
    size_t p = i;
    while (p < len && (s[p] == ' ' || s[p] == '\t'))
        p++;
    if (p < len && s[p] == ']') {
        i = p + 1;
    } else {
        for (;;) {
            while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
            if (i >= len || !isdigit((unsigned char)s[i]) || t.rank == RUNE_RF_MAX_RANK) {
                *bad = i < len ? i : len;
                return 2;
            }
            uint64_t v = 0;
            size_t start = i;
            while (i < len && isdigit((unsigned char)s[i])) {
                v = v * 10 + (uint64_t)(s[i] - '0');
                if (v >= (1u << 31)) {
                    *bad = start;
                    return 2;
                }
                i++;
            }
            if (v == 0) {
                *bad = start;
                return 2;
            }
            t.dims[t.rank++] = (uint32_t)v;
            while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (i < len && s[i] == ']') {
                i++;
                break;
            }
            *bad = i < len ? i : len;
            return 2;
        }
    }
    if (i != len) {
        *bad = i;
        return 2;
    }
    *out = t;
    return 0;
}

int rune_rf_type_parse(const char *s, size_t len, rune_rf_type *out)
{
    size_t bad;
    if (!s || !out) return -1;
    return rf_type_parse_ex(s, len, out, &bad) == 0 ? 0 : -1;
}

char *rune_rf_type_str(const rune_rf_type *t, char *buf, size_t cap)
{
    if (!buf || cap == 0) return buf;
    buf[0] = 0;
    if (!t) return buf;
    size_t n = (size_t)snprintf(buf, cap, "%s", rune_rf_elem_name(t->elem));
    if (t->rank < 0) {
        if (n < cap) snprintf(buf + n, cap - n, "[*]");
        return buf;
    }
    if (n < cap) n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < t->rank && n < cap; i++) {
        if (t->dims[i])
            n += (size_t)snprintf(buf + n, cap - n, i ? ",%u" : "%u", (unsigned)t->dims[i]);
        else
            n += (size_t)snprintf(buf + n, cap - n, i ? ",?" : "?");
    }
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

static int is_int_elem(rune_rf_elem e)
{
    return e >= RUNE_RF_U8 && e <= RUNE_RF_I32;
}
static int is_float_elem(rune_rf_elem e)
{
    return e == RUNE_RF_F32 || e == RUNE_RF_F64;
}

static int elem_compatible(rune_rf_elem a, rune_rf_elem b)
{
    if (a == b || a == RUNE_RF_ANY || b == RUNE_RF_ANY) return 1;
    if (a == RUNE_RF_ANY_INT) return is_int_elem(b);
    if (b == RUNE_RF_ANY_INT) return is_int_elem(a);
    if (a == RUNE_RF_ANY_FLOAT) return is_float_elem(b);
    if (b == RUNE_RF_ANY_FLOAT) return is_float_elem(a);
    return 0;
}

/* The dims left after dropping leading and trailing 1s: [*lo, *hi). */
static void squeeze(const rune_rf_type *t, int *lo, int *hi)
{
    int a = 0, b = t->rank;
    while (a < b && t->dims[a] == 1)
        a++;
    while (b > a && t->dims[b - 1] == 1)
        b--;
    *lo = a;
    *hi = b;
}

int rune_rf_type_compatible(const rune_rf_type *a, const rune_rf_type *b)
{
    if (!a || !b) return 0;
    if (!elem_compatible(a->elem, b->elem)) return 0;
    if (a->rank < 0 || b->rank < 0) return 1;
    int alo, ahi, blo, bhi;
    squeeze(a, &alo, &ahi);
    squeeze(b, &blo, &bhi);
    if (ahi - alo != bhi - blo) return 0;
    for (int i = 0; i < ahi - alo; i++) {
        uint32_t x = a->dims[alo + i], y = b->dims[blo + i];
        if (x && y && x != y) return 0;
    }
    return 1;
}

uint64_t rune_rf_type_count(const rune_rf_type *t)
{
    if (!t || t->rank < 0) return 0;
    uint64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (!t->dims[i]) return 0;
        n *= t->dims[i]; /* dims < 2^31 and rank <= 8 could overflow: saturate below */
        if (n > (UINT64_C(1) << 62)) return 0;
    }
    return n;
}

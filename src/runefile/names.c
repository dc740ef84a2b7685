/*
 * names.c - the names a Runefile uses (capability kinds, output kinds, stage kinds), "did you mean"
 * suggestions by edit distance, and the small helpers every file of the part shares (errors with a
 * location, array growth).
 * Workload: words of a few characters against lists of a few names; O(n*m) distance is nothing.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *const rf_cap_kind_names[] = {"SOUND", "IMAGE", "ACCEL", "RAND", "RAW", "AUDIO"};
const size_t rf_n_cap_kind_names = sizeof rf_cap_kind_names / sizeof rf_cap_kind_names[0];
const char *const rf_out_kind_names[] = {"serial", "tensor", "file"};
const size_t rf_n_out_kind_names = sizeof rf_out_kind_names / sizeof rf_out_kind_names[0];

static const char *const stage_kind_names[] = {"capability", "proc-block", "model", "out"};

const char *rune_rf_cap_kind_name(rune_rf_cap_kind k)
{
    return (unsigned)k <= RUNE_RF_CAP_RAW ? rf_cap_kind_names[k] : "?";
}

const char *rune_rf_out_kind_name(rune_rf_out_kind k)
{
    return (unsigned)k <= RUNE_RF_OUT_FILE ? rf_out_kind_names[k] : "?";
}

const char *rune_rf_stage_kind_name(rune_rf_stage_kind k)
{
    return (unsigned)k <= RUNE_RF_OUT ? stage_kind_names[k] : "?";
}

int rf_streq_nocase(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
    return 1;
}

int rf_cap_kind_parse(const char *s, size_t len)
{
    for (size_t i = 0; i < rf_n_cap_kind_names; i++)
        if (rf_streq_nocase(s, len, rf_cap_kind_names[i]))
            return i <= RUNE_RF_CAP_RAW ? (int)i : RUNE_RF_CAP_SOUND; /* AUDIO */
    return -1;
}

int rf_out_kind_parse(const char *s, size_t len)
{
    for (size_t i = 0; i < rf_n_out_kind_names; i++)
        if (rf_streq_nocase(s, len, rf_out_kind_names[i])) return (int)i;
    return -1;
}

static int same_letter(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

/* Case-insensitive edit distance where swapping two neighbours counts as one edit (optimal string
 * alignment), so SOUDN is one step from SOUND. Words longer than 63 get no suggestion. */
static size_t distance(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t prev2[64], prev[64], cur[64];
    if (alen >= 64 || blen >= 64) return (size_t)-1;
    for (size_t j = 0; j <= blen; j++)
        prev[j] = prev2[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t best = prev[j - 1] + !same_letter(a[i - 1], b[j - 1]);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && same_letter(a[i - 1], b[j - 2]) &&
                same_letter(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, sizeof prev);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[blen];
}

size_t rf_closeness(const char *word, size_t len, const char *cand)
{
    size_t clen = strlen(cand);
    size_t d = distance(word, len, cand, clen);
    /* Close enough: at most a third of the longer word, and at least one edit allowed. */
    size_t longer = clen > len ? clen : len;
    size_t limit = longer / 3 > 0 ? longer / 3 : 1;
    return d <= limit ? d : (size_t)-1;
}

const char *rf_suggest(const char *word, size_t len, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = rf_closeness(word, len, cands[i]);
        if (d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

const char *rf_hint(char *buf, size_t cap, const char *word, size_t len, const char *const *cands,
                    size_t n)
{
    const char *s = rf_suggest(word, len, cands, n);
    if (s)
        snprintf(buf, cap, " (did you mean '%s'?)", s);
    else if (cap)
        buf[0] = 0;
    return buf;
}

rune_status rf_err(rune_error *err, rune_status st, rune_rf_loc loc, const char *fmt, ...)
{
    char msg[RUNE_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return RUNE_ERR(err, st, "%s:%u:%u: %s", loc.file ? loc.file : "Runefile", (unsigned)loc.line,
                    (unsigned)loc.col, msg);
}

rune_status rf_grow(void **p, size_t *cap, size_t n, size_t elem, rune_error *err)
{
    if (n <= *cap) return RUNE_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap < n) ncap = n;
    void *q = rune_realloc_array(*p, ncap, elem);
    if (!q) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory growing a Runefile array");
    memset((char *)q + *cap * elem, 0, (ncap - *cap) * elem);
    *p = q;
    *cap = ncap;
    return RUNE_OK;
}

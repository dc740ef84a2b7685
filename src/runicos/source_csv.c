/*
 * source_csv.c - CSV of numbers for the ACCEL capability fed from a file (one sample per row,
 * columns x,y,z or any fixed count). Separators: comma, semicolon, tab or spaces. A first line that
 * does not parse as numbers is taken as a header; any later bad cell is an error naming line:column.
 */
#include "rune/alloc.h"
#include "rune/source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_sep(char c) { return c == ',' || c == ';' || c == '\t' || c == ' '; }

/* Parse one line [s, e) into vals (up to cap). Returns count, or -1 with *bad_col set. */
static long parse_line(const char *s, const char *e, float *vals, size_t cap, size_t *bad_col)
{
    long n = 0;
    const char *p = s;
    char cell[64];
    while (p < e) {
        while (p < e && (is_sep(*p) || *p == '\r')) p++;
        if (p >= e) break;
        const char *q = p;
        while (q < e && !is_sep(*q) && *q != '\r') q++;
        size_t len = (size_t)(q - p);
        if (len >= sizeof cell) {
            *bad_col = (size_t)(p - s) + 1;
            return -1;
        }
        memcpy(cell, p, len);
        cell[len] = '\0';
        char *endp = NULL;
        errno = 0;
        float v = strtof(cell, &endp);
        if (endp != cell + len || errno == ERANGE || !isfinite(v)) {
            *bad_col = (size_t)(p - s) + 1;
            return -1;
        }
        if ((size_t)n < cap) vals[n] = v;
        n++;
        p = q;
    }
    return n;
}

rune_status rune_csv_parse(const char *text, size_t len, rune_csv *out, rune_error *err)
{
    if (!text || !out) return RUNE_ERR(err, RUNE_E_ARG, "csv: NULL argument");
    memset(out, 0, sizeof *out);
    float *vals = NULL;
    size_t n_vals = 0, cap_vals = 0, n_cols = 0, n_rows = 0, line_no = 0;
    const char *p = text, *end = text + len;
    float tmp[256];
    rune_status st = RUNE_OK;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        line_no++;
        const char *s = p;
        p = e + 1;
        const char *t = s;
        while (t < e && isspace((unsigned char)*t)) t++;
        if (t == e || *t == '#') continue;
        size_t bad = 0;
        long n = parse_line(s, e, tmp, sizeof tmp / sizeof tmp[0], &bad);
        if (n < 0) {
            if (n_rows == 0 && line_no == 1) continue; /* header */
            st = RUNE_ERR(err, RUNE_E_MALFORMED, "csv: line %zu column %zu: not a number", line_no,
                          bad);
            goto fail;
        }
        if (n == 0) continue; /* only separators: as blank */
        if ((size_t)n > sizeof tmp / sizeof tmp[0]) {
            st = RUNE_ERR(err, RUNE_E_LIMIT, "csv: line %zu has more than 256 columns", line_no);
            goto fail;
        }
        if (n_rows == 0) n_cols = (size_t)n;
        if ((size_t)n != n_cols) {
            st = RUNE_ERR(err, RUNE_E_MALFORMED, "csv: line %zu has %ld columns, expected %zu",
                          line_no, n, n_cols);
            goto fail;
        }
        if (n_vals + n_cols > cap_vals) {
            size_t nc = cap_vals ? cap_vals * 2 : 1024;
            while (nc < n_vals + n_cols) nc *= 2;
            float *nv = rune_realloc_array(vals, nc, sizeof *nv);
            if (!nv) {
                st = RUNE_ERR(err, RUNE_E_NOMEM, "csv: out of memory");
                goto fail;
            }
            vals = nv;
            cap_vals = nc;
        }
        memcpy(vals + n_vals, tmp, n_cols * sizeof *tmp);
        n_vals += n_cols;
        n_rows++;
    }
    if (n_rows == 0) {
        st = RUNE_ERR(err, RUNE_E_MALFORMED, "csv: no rows of numbers");
        goto fail;
    }
    out->values = vals;
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    return RUNE_OK;
fail:
    rune_free(vals);
    return st;
}

rune_status rune_csv_load(const char *path, rune_csv *out, rune_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rune_status st = rune_file_read_max(path, 256u << 20, &buf, &len, err);
    if (st != RUNE_OK) return st;
    st = rune_csv_parse((const char *)buf, len, out, err);
    rune_free(buf);
    if (st != RUNE_OK) rune_error_prefix(err, "%s", path);
    return st;
}

void rune_csv_free(rune_csv *c)
{
    if (!c) return;
    rune_free(c->values);
    memset(c, 0, sizeof *c);
}

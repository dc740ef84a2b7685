/*
 * load.c - picks the syntax of a Runefile (by file name, then by content) and reads one from disk.
 * Workload: one small file per build; the whole file is read into memory.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && rf_streq_nocase(s + n - m, m, suffix);
}

/* YAML if the first word that is not a comment is "version:" or a document marker "---". */
static int looks_like_yaml(const char *src, size_t len)
{
    size_t i = 0;
    for (;;) {
        while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n'))
            i++;
        if (i < len && src[i] == '#') {
            while (i < len && src[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    return (len - i >= 8 && memcmp(src + i, "version:", 8) == 0) ||
           (len - i >= 3 && memcmp(src + i, "---", 3) == 0);
}

rune_status rune_runefile_parse(const char *src, size_t len, const char *file, rune_runefile **out,
                                rune_error *err)
{
    if (!out || (!src && len)) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_parse: NULL");
    const char *name = file ? file : "Runefile";
    if (ends_with(name, ".yml") || ends_with(name, ".yaml") || (src && looks_like_yaml(src, len)))
        return rune_runefile_parse_yaml(src, len, file, out, err);
    return rune_runefile_parse_text(src, len, file, out, err);
}

rune_status rune_runefile_load(const char *path, rune_runefile **out, rune_error *err)
{
    if (!path || !out) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_load: NULL");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return RUNE_ERR(err, RUNE_E_IO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    rune_status st = RUNE_OK;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > (size_t)16 << 20) { /* no Runefile is this big */
                st = RUNE_ERR(err, RUNE_E_LIMIT, "%s: larger than 16 MiB", path);
                break;
            }
            char *nb = rune_realloc(buf, ncap);
            if (!nb) {
                st = RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading %s", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) st = RUNE_ERR(err, RUNE_E_IO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (!st) st = rune_runefile_parse(buf, len, path, out, err);
    rune_free(buf);
    return st;
}

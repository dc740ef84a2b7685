/*
 * file_read.c - read a whole file into memory, with a size cap, for the capture-file decoders.
 */
#include "rune/alloc.h"
#include "rune/source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

rune_status rune_file_read_max(const char *path, size_t max_len, uint8_t **out, size_t *out_len,
                           rune_error *err)
{
    if (!path || !out || !out_len) return RUNE_ERR(err, RUNE_E_ARG, "rune_file_read: NULL argument");
    if (max_len == 0) max_len = (size_t)1 << 30;
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return RUNE_ERR(err, RUNE_E_IO, "%s: %s", path, strerror(errno));
    rune_status st = RUNE_OK;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 64 * 1024;
            if (ncap > max_len + 1) ncap = max_len + 1;
            if (ncap <= cap) {
                st = RUNE_ERR(err, RUNE_E_LIMIT, "%s: larger than %zu bytes", path, max_len);
                goto fail;
            }
            uint8_t *nb = rune_realloc(buf, ncap);
            if (!nb) {
                st = RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory reading the file", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = RUNE_ERR(err, RUNE_E_IO, "%s: read error", path);
        goto fail;
    }
    if (len > max_len) {
        st = RUNE_ERR(err, RUNE_E_LIMIT, "%s: larger than %zu bytes", path, max_len);
        goto fail;
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return RUNE_OK;
fail:
    fclose(f);
    rune_free(buf);
    return st;
}

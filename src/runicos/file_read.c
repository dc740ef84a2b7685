/*
 * file_read.c - read a whole capture or model file with a size cap: a size check in front of the
 * container part's rune_file_read (which does the reading), so a huge file is refused before any
 * memory is taken for it.
 */
#include "rune/container.h"
#include "rune/source.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

rune_status rune_file_read_max(const char *path, size_t max_len, uint8_t **out, size_t *out_len,
                               rune_error *err)
{
    if (!path || !out || !out_len)
        return RUNE_ERR(err, RUNE_E_ARG, "rune_file_read_max: NULL argument");
    if (max_len == 0) max_len = (size_t)1 << 30;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > max_len)
        return RUNE_ERR(err, RUNE_E_LIMIT, "%s: %llu bytes is larger than the %zu allowed", path,
                        (unsigned long long)sb.st_size, max_len);
    rune_status st = rune_file_read(path, out, out_len, err);
    if (st == RUNE_E_NOT_FOUND) { /* callers treat a missing file as an I/O error */
        st = RUNE_E_IO;
        if (err) err->status = st;
    }
    return st;
}

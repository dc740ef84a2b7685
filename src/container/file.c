/*
 * file.c - whole-file read and atomic whole-file write (temp in the same directory, fsync, rename,
 * fsync of the directory), for runes, keys and the OCI store. Files are at most a few MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/container.h"

rune_status rune_file_read(const char *path, uint8_t **out, size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        rune_status st =
            RUNE_ERR(err, e == ENOENT ? RUNE_E_NOT_FOUND : RUNE_E_IO, "%s: %s", path, strerror(e));
        if (err) err->code = e;
        return st;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return RUNE_ERR(err, RUNE_E_IO, "%s: not a regular file", path);
    }
    size_t cap = (size_t)sb.st_size, n = 0;
    uint8_t *buf = rune_malloc(cap + 1);
    if (!buf) {
        close(fd);
        return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory for %zu bytes", path, cap);
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n != cap) {
        rune_free(buf);
        return RUNE_ERR(err, RUNE_E_IO, "%s: short read", path);
    }
    buf[n] = 0; /* handy for text files; not counted in the length */
    *out = buf;
    *out_len = n;
    return RUNE_OK;
}

rune_status rune_file_write_atomic(const char *path, const void *data, size_t len, rune_error *err)
{
    return rune_file_write_atomic_mode(path, data, len, 0644, err);
}

rune_status rune_file_write_atomic_mode(const char *path, const void *data, size_t len,
                                        unsigned mode, rune_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return RUNE_ERR(err, RUNE_E_ARG, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return RUNE_ERR(err, RUNE_E_IO, "%s: cannot create temp file: %s", path, strerror(errno));
    if (fchmod(fd, (mode_t)mode) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return RUNE_ERR(err, RUNE_E_IO, "%s: chmod failed: %s", path, strerror(e));
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= (size_t)w;
    }
    int e = errno, bad = left != 0;
    if (!bad && fsync(fd) != 0) bad = 1, e = errno;
    if (close(fd) != 0 && !bad) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        return RUNE_ERR(err, RUNE_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return RUNE_ERR(err, RUNE_E_IO, "%s: rename failed: %s", path, strerror(e));
    }
    /* make the rename durable */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return RUNE_OK;
}

/*
 * bench_io.h - what the wasm benchmarks share: reading a whole .wasm file built next to them.
 */
#ifndef RUNE_BENCH_IO_H
#define RUNE_BENCH_IO_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file in a malloc'd buffer (*len bytes), or NULL. */
static inline unsigned char *bench_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n >= 0 ? malloc(n > 0 ? (size_t)n : 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

#endif

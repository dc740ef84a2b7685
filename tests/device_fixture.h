/*
 * device_fixture.h - what the device tests (tests/agent, tests/hammer, bench/cast) share: runes
 * built around a test guest module, files and temporary directories, a sleep and a monotonic
 * clock. Each part's fixture (agent_fixture.h, hammer_fixture.h) builds its devices on these.
 * Include it first: it asks for the GNU extensions nftw needs.
 */
#ifndef DEVICE_FIXTURE_H
#define DEVICE_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "test.h"

static inline void dev_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline uint64_t dev_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void dev_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static inline int dev_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void dev_rmtree(const char *dir)
{
    nftw(dir, dev_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A rune around <dir>/<wasm>.wasm named name/version, with a SERIAL output, one capability stage
 * cap_name of kind (NULL: none) with args ("key", "value" pairs, NULL-terminated), and pad bytes
 * of resource "pad" (to make uploads take many chunks): pseudo-random from pad_seed, or, with
 * pad_seed 0, the multiplicative pattern i * 2654435761 >> 13. rune_malloc'd; NULL on failure
 * (printed). */
static inline uint8_t *dev_rune(const char *dir, const char *wasm, const char *name,
                                const char *version, const char *cap_name, const char *kind,
                                const char *const *args, size_t pad, uint64_t pad_seed, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, wasm);
    size_t wlen = 0;
    unsigned char *w = test_read_file(path, &wlen);
    if (!w) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    rune_manifest *m = NULL;
    rune_manifest_stage *s = NULL;
    rune_error err;
    uint8_t *out = NULL;
    if (rune_manifest_new(name, version, &m, &err) == RUNE_OK) {
        if (kind) {
            rune_manifest_add_stage(m, RUNE_LIST_CAPABILITIES, cap_name, kind, &s, &err);
            for (size_t i = 0; args && args[i]; i += 2)
                rune_manifest_stage_add_arg(s, args[i], args[i + 1], &err);
        }
        rune_manifest_add_stage(m, RUNE_LIST_OUTPUTS, "serial", "SERIAL", NULL, &err);
        uint8_t *padding = pad ? malloc(pad) : NULL;
        uint64_t x = pad_seed;
        for (size_t i = 0; i < pad; i++) {
            if (pad_seed) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                padding[i] = (uint8_t)(x >> 56);
            } else {
                padding[i] = (uint8_t)(i * 2654435761u >> 13);
            }
        }
        rune_blob res = {"pad", padding, pad};
        if (pad) rune_manifest_add_stage(m, RUNE_LIST_RESOURCES, "pad", NULL, NULL, &err);
        if (rune_container_write(w, wlen, m, NULL, 0, &res, pad ? 1 : 0, &out, len, &err) !=
            RUNE_OK)
            fprintf(stderr, "rune: %s\n", err.msg);
        free(padding);
    }
    rune_manifest_free(m);
    free(w);
    return out;
}

#endif

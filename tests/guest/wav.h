/*
 * wav.h - a small WAV reader for the guest tests: 16-bit PCM, mono, any chunk order.
 * Returns a malloc'd array of samples (caller frees) or NULL with a reason in *why.
 */
#ifndef RUNE_TEST_GUEST_WAV_H
#define RUNE_TEST_GUEST_WAV_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t wav_u32_(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t wav_u16_(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline int16_t *wav_parse(const unsigned char *b, size_t len, size_t *n, uint32_t *rate,
                                 const char **why)
{
    *why = "not a RIFF/WAVE file";
    if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0) return NULL;
    size_t pos = 12;
    int have_fmt = 0;
    while (pos + 8 <= len) {
        uint32_t sz = wav_u32_(b + pos + 4);
        const unsigned char *body = b + pos + 8;
        if (sz > len - pos - 8) {
            *why = "chunk runs past the end";
            return NULL;
        }
        if (memcmp(b + pos, "fmt ", 4) == 0) {
            if (sz < 16 || wav_u16_(body) != 1 || wav_u16_(body + 2) != 1 ||
                wav_u16_(body + 14) != 16) {
                *why = "only 16-bit mono PCM is supported";
                return NULL;
            }
            *rate = wav_u32_(body + 4);
            have_fmt = 1;
        } else if (memcmp(b + pos, "data", 4) == 0) {
            if (!have_fmt) {
                *why = "data before fmt";
                return NULL;
            }
            *n = sz / 2;
            int16_t *s = malloc(*n ? *n * 2 : 1);
            if (!s) {
                *why = "out of memory";
                return NULL;
            }
            for (size_t i = 0; i < *n; i++)
                s[i] = (int16_t)wav_u16_(body + 2 * i);
            return s;
        }
        pos += 8 + (size_t)sz + (sz & 1);
    }
    *why = "no data chunk";
    return NULL;
}

#endif

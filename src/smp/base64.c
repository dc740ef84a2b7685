/*
 * base64.c - RFC 4648 base64 for the SMP serial framing: one line (at most 124 characters) at a
 * time, so both sides work on small stack buffers. Decoding rejects anything outside the alphabet.
 */
#include "smp_int.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t smp_b64_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = (uint8_t)b64_alphabet[v >> 18 & 63];
        out[o++] = (uint8_t)b64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? (uint8_t)b64_alphabet[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? (uint8_t)b64_alphabet[v & 63] : '=';
    }
    return o;
}

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

size_t smp_b64_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    if (n % 4) return (size_t)-1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int pad = 0;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            uint8_t c = in[i + k];
            int d;
            if (c == '=') {
                /* padding: only in the last group, only in its last two places, only trailing */
                if (!last || k < 2) return (size_t)-1;
                pad++;
                d = 0;
            } else {
                if (pad) return (size_t)-1;
                d = b64_value(c);
                if (d < 0) return (size_t)-1;
            }
            v = v << 6 | (uint32_t)d;
        }
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2) out[o++] = (uint8_t)(v >> 8);
        if (pad < 1) out[o++] = (uint8_t)v;
    }
    return o;
}

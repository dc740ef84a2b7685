/*
 * util.c - small helpers of the container part: cJSON on the rune allocator, SHA-256 digest strings
 * (libsodium), UTF-8 validation. Inputs are manifests and section names: short, so no streaming.
 */
#include "container_int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "rune/alloc.h"

static void json_hooks(void)
{
    cJSON_Hooks h = {rune_malloc, rune_free};
    cJSON_InitHooks(&h);
}

/* Once per process, also when two threads parse JSON first at the same time. */
void rune_json_use_rune_alloc(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, json_hooks);
}

void rune_digest_fmt(const uint8_t raw[32], char out[RUNE_DIGEST_STR_LEN])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[raw[i] >> 4];
        out[8 + 2 * i] = hex[raw[i] & 15];
    }
    out[71] = '\0';
}

void rune_digest_str(const void *data, size_t len, char out[RUNE_DIGEST_STR_LEN])
{
    uint8_t raw[32];
    crypto_hash_sha256(raw, data, len);
    rune_digest_fmt(raw, out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int rune_digest_parse(const char *s, uint8_t raw[32])
{
    if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71) return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(s[7 + 2 * i]), lo = hexval(s[8 + 2 * i]);
        if (hi < 0 || lo < 0) return -1;
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int rune_digest_valid(const char *s)
{
    uint8_t raw[32];
    return rune_digest_parse(s, raw) == 0;
}

int rune_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += n + 1;
    }
    return 1;
}

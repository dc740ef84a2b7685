/*
 * section.c - a small bounds-checked walker over the sections of a wasm module, and the encoder of
 * custom sections. Written here rather than borrowed from src/wasm so the container (which runs on
 * untrusted downloads before any engine sees them) depends only on librune core. Runes are whole
 * files in memory (models up to a few MiB), so sections are byte ranges, never copies.
 */
#include <string.h>

#include "container_int.h"

rune_status rune_sec_header(const uint8_t *b, size_t len, rune_error *err)
{
    static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    if (len < 8)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "rune: %zu bytes is too short for a wasm "
                        "module",
                        len);
    if (memcmp(b, hdr, 4) != 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "rune: not a wasm module "
                        "(bad magic)");
    if (memcmp(b + 4, hdr + 4, 4) != 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "rune: unsupported wasm version");
    return RUNE_OK;
}

/* u32 LEB128 at *pos, at most 5 bytes, no bits past 32. */
static int read_u32(const uint8_t *b, size_t len, size_t *pos, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 5; i++) {
        if (*pos >= len) return 0;
        uint8_t c = b[(*pos)++];
        if (i == 4 && (c & 0xf0)) return 0;
        v |= (uint32_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

rune_status rune_sec_next(const uint8_t *b, size_t len, size_t *pos, rune_sec *out, rune_error *err)
{
    size_t p = *pos;
    if (p >= len) return RUNE_E_NOT_FOUND;
    memset(out, 0, sizeof *out);
    out->offset = p;
    out->id = b[p++];
    uint32_t size;
    if (!read_u32(b, len, &p, &size))
        return RUNE_ERR(err, RUNE_E_MALFORMED, "rune: section at offset %zu: bad or truncated size",
                        out->offset);
    if (size > len - p)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "rune: section at offset %zu runs past the end (%u bytes, %zu left)",
                        out->offset, (unsigned)size, len - p);
    size_t end = p + size;
    out->size = end - out->offset;
    if (out->id == 0) {
        uint32_t nlen;
        if (!read_u32(b, end, &p, &nlen) || nlen > end - p)
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "rune: custom section at offset %zu: name runs past the section",
                            out->offset);
        out->name = b + p;
        out->name_len = nlen;
        if (!rune_utf8_valid(out->name, nlen))
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "rune: custom section at offset %zu: name is not valid UTF-8",
                            out->offset);
        p += nlen;
    }
    out->payload = b + p;
    out->payload_len = end - p;
    *pos = end;
    return RUNE_OK;
}

int rune_sec_is(const rune_sec *s, const char *name)
{
    size_t n = strlen(name);
    return s->id == 0 && s->name_len == n && memcmp(s->name, name, n) == 0;
}

int rune_sec_has_prefix(const rune_sec *s, const char *prefix, const uint8_t **rest,
                        size_t *rest_len)
{
    size_t n = strlen(prefix);
    if (s->id != 0 || s->name_len < n || memcmp(s->name, prefix, n) != 0) return 0;
    *rest = s->name + n;
    *rest_len = s->name_len - n;
    return 1;
}

static size_t leb_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_leb(uint8_t *p, size_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        *p++ = c | (v ? 0x80 : 0);
    } while (v);
    return p;
}

/* Total bytes of a custom section, or 0 if its content does not fit a u32 size. */
size_t rune_sec_size(size_t name_len, size_t payload_len)
{
    if (name_len > 0xffffffffu || payload_len > 0xffffffffu - 5 - name_len) return 0;
    size_t content = leb_len(name_len) + name_len + payload_len;
    if (content > 0xffffffffu) return 0;
    return 1 + leb_len(content) + content;
}

uint8_t *rune_sec_put(uint8_t *p, const char *name, size_t name_len, const uint8_t *payload,
                      size_t payload_len)
{
    *p++ = 0;
    p = put_leb(p, leb_len(name_len) + name_len + payload_len);
    p = put_leb(p, name_len);
    memcpy(p, name, name_len);
    p += name_len;
    if (payload_len) memcpy(p, payload, payload_len);
    return p + payload_len;
}

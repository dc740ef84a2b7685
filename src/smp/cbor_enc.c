/*
 * cbor_enc.c - CBOR encoder into a caller's buffer (RFC 8949, the subset SMP bodies use).
 *
 * Workload: small response maps of a device agent and image-upload requests of up to a few KB,
 * built once per message. Integers use the shortest head; past the end of the buffer the encoder
 * keeps counting so the caller learns the size it needed.
 */
#include <string.h>

#include "rune/smp.h"

void rune_cbor_enc_init(rune_cbor_enc *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->cap = buf ? cap : 0;
    e->len = 0;
    e->overflow = false;
}

static void put_bytes(rune_cbor_enc *e, const void *p, size_t len)
{
    if (!e->overflow && len <= e->cap - e->len) {
        if (len) memcpy(e->buf + e->len, p, len);
    } else {
        e->overflow = true;
    }
    e->len += len;
}

static void put_head(rune_cbor_enc *e, unsigned major, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    if (v < 24) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else if (v <= 0xff) {
        h[0] = (uint8_t)(major << 5 | 24);
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        h[0] = (uint8_t)(major << 5 | 25);
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xffffffffu) {
        h[0] = (uint8_t)(major << 5 | 26);
        for (int i = 0; i < 4; i++)
            h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = (uint8_t)(major << 5 | 27);
        for (int i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    put_bytes(e, h, n);
}

void rune_cbor_put_uint(rune_cbor_enc *e, uint64_t v)
{
    put_head(e, 0, v);
}

void rune_cbor_put_int(rune_cbor_enc *e, int64_t v)
{
    if (v >= 0)
        put_head(e, 0, (uint64_t)v);
    else
        put_head(e, 1, (uint64_t)(-(v + 1)));
}

void rune_cbor_put_bytes(rune_cbor_enc *e, const void *p, size_t len)
{
    put_head(e, 2, len);
    put_bytes(e, p, len);
}

void rune_cbor_put_text(rune_cbor_enc *e, const char *p, size_t len)
{
    put_head(e, 3, len);
    put_bytes(e, p, len);
}

void rune_cbor_put_textz(rune_cbor_enc *e, const char *s)
{
    rune_cbor_put_text(e, s, strlen(s));
}

void rune_cbor_put_bool(rune_cbor_enc *e, bool b)
{
    uint8_t v = b ? 0xf5 : 0xf4;
    put_bytes(e, &v, 1);
}

void rune_cbor_put_null(rune_cbor_enc *e)
{
    uint8_t v = 0xf6;
    put_bytes(e, &v, 1);
}

void rune_cbor_put_double(rune_cbor_enc *e, double f)
{
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    uint8_t h[9];
    h[0] = 0xfb;
    for (int i = 0; i < 8; i++)
        h[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
    put_bytes(e, h, sizeof h);
}

void rune_cbor_put_array(rune_cbor_enc *e, size_t n)
{
    put_head(e, 4, n);
}
void rune_cbor_put_map(rune_cbor_enc *e, size_t n_pairs)
{
    put_head(e, 5, n_pairs);
}

void rune_cbor_put_array_indef(rune_cbor_enc *e)
{
    uint8_t v = 0x9f;
    put_bytes(e, &v, 1);
}

void rune_cbor_put_map_indef(rune_cbor_enc *e)
{
    uint8_t v = 0xbf;
    put_bytes(e, &v, 1);
}

void rune_cbor_put_break(rune_cbor_enc *e)
{
    uint8_t v = 0xff;
    put_bytes(e, &v, 1);
}

void rune_cbor_put_raw(rune_cbor_enc *e, const void *p, size_t len)
{
    put_bytes(e, p, len);
}

rune_status rune_cbor_enc_finish(const rune_cbor_enc *e, rune_error *err)
{
    if (e->overflow)
        return RUNE_ERR(err, RUNE_E_LIMIT, "cbor: encoding needs %zu bytes, buffer holds %zu",
                        e->len, e->cap);
    return RUNE_OK;
}

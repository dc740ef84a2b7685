/*
 * json.c - serial JSON lines and tensor records for the SERIAL and TENSOR outputs.
 *
 * Workload: one small document per _call (a few labels, or up to tens of thousands of numbers for
 * an image), formatted into a caller buffer or the SDK's one static buffer; nothing allocates.
 * Floats print with 9 significant digits (exact round trip of f32); NaN and infinities are null,
 * since JSON has no spelling for them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rune_guest.h"

typedef struct jbuf {
    char *p;
    size_t cap, len;
    int full;
} jbuf;

static void jput(jbuf *b, const char *s, size_t n)
{
    if (b->full || n > b->cap - b->len - 1) {
        b->full = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void jputs(jbuf *b, const char *s)
{
    jput(b, s, strlen(s));
}

static void jprintf_num(jbuf *b, const char *fmt, double v)
{
    char tmp[40];
    int w = snprintf(tmp, sizeof tmp, fmt, v);
    if (w > 0) jput(b, tmp, (size_t)w);
}

static void jstring(jbuf *b, const char *s, size_t n)
{
    jput(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            jput(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            jput(b, e, 6);
        } else {
            jput(b, (const char *)&c, 1);
        }
    }
    jput(b, "\"", 1);
}

static void jelem(jbuf *b, int32_t elem, const uint8_t *p)
{
    char tmp[32];
    int w = 0;
    switch (elem) {
    case RUNE_ELEM_U8: w = snprintf(tmp, sizeof tmp, "%u", (unsigned)p[0]); break;
    case RUNE_ELEM_I8: w = snprintf(tmp, sizeof tmp, "%d", (int)(int8_t)p[0]); break;
    case RUNE_ELEM_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        w = snprintf(tmp, sizeof tmp, "%u", (unsigned)v);
        break;
    }
    case RUNE_ELEM_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        w = snprintf(tmp, sizeof tmp, "%d", (int)v);
        break;
    }
    case RUNE_ELEM_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        w = snprintf(tmp, sizeof tmp, "%lu", (unsigned long)v);
        break;
    }
    case RUNE_ELEM_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        w = snprintf(tmp, sizeof tmp, "%ld", (long)v);
        break;
    }
    case RUNE_ELEM_F32: {
        float v;
        memcpy(&v, p, 4);
        if (!isfinite(v)) {
            jputs(b, "null");
            return;
        }
        jprintf_num(b, "%.9g", v);
        return;
    }
    case RUNE_ELEM_F64: {
        double v;
        memcpy(&v, p, 8);
        if (!isfinite(v)) {
            jputs(b, "null");
            return;
        }
        jprintf_num(b, "%.17g", v);
        return;
    }
    default: jputs(b, "null"); return;
    }
    if (w > 0) jput(b, tmp, (size_t)w);
}

rune_status rune_json_tensor(const char *name, const rune_tensor *t, char *buf, size_t cap,
                             size_t *len, rune_error *err)
{
    if (!buf || cap == 0) return RUNE_ERR(err, RUNE_E_ARG, "json: no buffer");
    buf[0] = 0;
    rune_status st = rune_tensor_expect(t, t ? t->elem : 0, "json tensor", err);
    if (st != RUNE_OK) return st;
    jbuf b = {buf, cap, 0, 0};
    jputs(&b, "{\"name\":");
    jstring(&b, name ? name : "", name ? strlen(name) : 0);
    jputs(&b, ",\"type\":\"");
    jputs(&b, rune_abi_elem_name(t->elem));
    jputs(&b, "\",\"shape\":[");
    for (uint32_t i = 0; i < t->rank; i++) {
        char tmp[16];
        int w = snprintf(tmp, sizeof tmp, i ? ",%u" : "%u", (unsigned)t->dims[i]);
        jput(&b, tmp, (size_t)w);
    }
    jputs(&b, "],\"data\":[");
    const size_t es = rune_abi_elem_size(t->elem), n = t->len / es;
    for (size_t i = 0; i < n && !b.full; i++) {
        if (i) jput(&b, ",", 1);
        jelem(&b, t->elem, (const uint8_t *)t->data + i * es);
    }
    jputs(&b, "]}");
    if (b.full) return RUNE_ERR(err, RUNE_E_LIMIT, "json: tensor does not fit %zu bytes", cap);
    if (len) *len = b.len;
    return RUNE_OK;
}

rune_status rune_json_labels(const char *name, const char *text, size_t tlen, char *buf, size_t cap,
                             size_t *len, rune_error *err)
{
    if (!buf || cap == 0) return RUNE_ERR(err, RUNE_E_ARG, "json: no buffer");
    if (!text && tlen) return RUNE_ERR(err, RUNE_E_ARG, "json: no label text");
    buf[0] = 0;
    jbuf b = {buf, cap, 0, 0};
    jputs(&b, "{\"name\":");
    jstring(&b, name ? name : "", name ? strlen(name) : 0);
    jputs(&b, ",\"labels\":[");
    size_t start = 0;
    int first = 1;
    for (size_t i = 0; i <= tlen && tlen; i++) {
        if (i == tlen || text[i] == '\n') {
            if (!first) jput(&b, ",", 1);
            jstring(&b, text + start, i - start);
            first = 0;
            start = i + 1;
        }
    }
    jputs(&b, "]}");
    if (b.full) return RUNE_ERR(err, RUNE_E_LIMIT, "json: labels do not fit %zu bytes", cap);
    if (len) *len = b.len;
    return RUNE_OK;
}

static char out_buf[RUNE_GUEST_OUT_MAX];

rune_status rune_output_serial_tensor(int32_t handle, const char *name, const rune_tensor *t,
                                      rune_error *err)
{
    size_t len = 0;
    rune_status st = rune_json_tensor(name, t, out_buf, sizeof out_buf, &len, err);
    return st != RUNE_OK ? st : rune_output_write(handle, out_buf, len, err);
}

rune_status rune_output_serial_labels(int32_t handle, const char *name, const char *text,
                                      size_t len, rune_error *err)
{
    size_t n = 0;
    rune_status st = rune_json_labels(name, text, len, out_buf, sizeof out_buf, &n, err);
    return st != RUNE_OK ? st : rune_output_write(handle, out_buf, n, err);
}

rune_status rune_output_serial_json(int32_t handle, const char *json, size_t len, rune_error *err)
{
    return rune_output_write(handle, json, len, err);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

size_t rune_tensor_record_header(const rune_tensor *t, uint8_t *p)
{
    const uint32_t rank = t->rank <= RUNE_ABI_MAX_RANK ? t->rank : RUNE_ABI_MAX_RANK;
    put_u32le(p, (uint32_t)t->elem);
    put_u32le(p + 4, rank);
    for (uint32_t i = 0; i < rank; i++)
        put_u32le(p + 8 + 4 * i, t->dims[i]);
    return 8 + 4 * (size_t)rank;
}

rune_status rune_output_tensor(int32_t handle, const rune_tensor *t, rune_error *err)
{
    rune_status st = rune_tensor_expect(t, t ? t->elem : 0, "tensor output", err);
    if (st != RUNE_OK) return st;
    const size_t head = 8 + 4 * (size_t)t->rank;
    if (t->len > sizeof out_buf - head)
        return RUNE_ERR(err, RUNE_E_LIMIT, "tensor output: %zu bytes is above the %zu-byte record",
                        t->len, sizeof out_buf - head);
    uint8_t *p = (uint8_t *)out_buf;
    rune_tensor_record_header(t, p);
    /* Element data goes as little-endian, which both wasm32 and our hosts are. */
    if (t->len) memcpy(p + head, t->data, t->len);
    return rune_output_write(handle, out_buf, head + t->len, err);
}

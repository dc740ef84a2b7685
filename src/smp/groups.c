/*
 * groups.c - the answer shapes of the image-state command and of our rune group's status and caps
 * commands, written by the device agent and read back by the client, so both sides agree by
 * construction (see the table at the top of rune/smp.h).
 *
 * Workload: a handful of entries per answer, a few answers a second at most.
 */
#include <string.h>

#include "smp_int.h"

void rune_smp_put_image_state(rune_cbor_enc *e, const rune_smp_image_slot *slots, size_t n)
{
    rune_cbor_put_textz(e, "images");
    rune_cbor_put_array(e, n);
    for (size_t i = 0; i < n; i++) {
        const rune_smp_image_slot *s = &slots[i];
        rune_cbor_put_map(e, 9);
        rune_cbor_put_textz(e, "image");
        rune_cbor_put_uint(e, s->image);
        rune_cbor_put_textz(e, "slot");
        rune_cbor_put_uint(e, s->slot);
        rune_cbor_put_textz(e, "version");
        rune_cbor_put_text(e, s->version, strnlen(s->version, sizeof s->version));
        rune_cbor_put_textz(e, "hash");
        rune_cbor_put_bytes(e, s->hash, s->hash_len <= sizeof s->hash ? s->hash_len : 0);
        const char *flags[5] = {"bootable", "pending", "confirmed", "active", "permanent"};
        bool vals[5] = {s->bootable, s->pending, s->confirmed, s->active, s->permanent};
        for (int k = 0; k < 5; k++) {
            rune_cbor_put_textz(e, flags[k]);
            rune_cbor_put_bool(e, vals[k]);
        }
    }
}

void rune_smp_put_rune_status(rune_cbor_enc *e, const rune_smp_rune_info *runes, size_t n)
{
    rune_cbor_put_textz(e, "runes");
    rune_cbor_put_array(e, n);
    for (size_t i = 0; i < n; i++) {
        const rune_smp_rune_info *r = &runes[i];
        rune_cbor_put_map(e, 5);
        rune_cbor_put_textz(e, "name");
        rune_cbor_put_text(e, r->name, strnlen(r->name, sizeof r->name));
        rune_cbor_put_textz(e, "version");
        rune_cbor_put_text(e, r->version, strnlen(r->version, sizeof r->version));
        rune_cbor_put_textz(e, "state");
        rune_cbor_put_text(e, r->state, strnlen(r->state, sizeof r->state));
        rune_cbor_put_textz(e, "digest");
        rune_cbor_put_bytes(e, r->digest, r->digest_len <= sizeof r->digest ? r->digest_len : 0);
        rune_cbor_put_textz(e, "uptime_ms");
        rune_cbor_put_uint(e, r->uptime_ms);
    }
}

void rune_smp_put_caps(rune_cbor_enc *e, const rune_smp_cap_info *caps, size_t n)
{
    rune_cbor_put_textz(e, "caps");
    rune_cbor_put_array(e, n);
    for (size_t i = 0; i < n; i++) {
        rune_cbor_put_map(e, 3);
        rune_cbor_put_textz(e, "kind");
        rune_cbor_put_text(e, caps[i].kind, strnlen(caps[i].kind, sizeof caps[i].kind));
        rune_cbor_put_textz(e, "name");
        rune_cbor_put_text(e, caps[i].name, strnlen(caps[i].name, sizeof caps[i].name));
        rune_cbor_put_textz(e, "allowed");
        rune_cbor_put_bool(e, caps[i].allowed);
    }
}

/* Copy a text field, cut to fit (cap >= 1). */
static rune_status text_field(const rune_cbor_doc *d, uint32_t map, const char *key, char *out,
                              size_t cap, rune_error *err)
{
    const char *p;
    size_t len;
    rune_status st = rune_cbor_get_text(d, map, key, &p, &len, err);
    if (st != RUNE_OK) return st;
    if (len > cap - 1) len = cap - 1;
    memcpy(out, p, len);
    out[len] = 0;
    return RUNE_OK;
}

/* The array under key in the answer, or a PROTOCOL error. */
static rune_status answer_array(const rune_cbor_doc *d, const char *key, long *arr, rune_error *err)
{
    *arr = rune_cbor_map_find(d, 0, key);
    if (*arr < 0 || d->items[*arr].type != RUNE_CBOR_ARRAY)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "answer has no \"%s\" array", key);
    return RUNE_OK;
}

rune_status rune_smp_rune_status(rune_smp_client *c, const char *name,
                                 void (*fn)(void *ud, const rune_smp_rune_info *r), void *ud,
                                 rune_error *err)
{
    rune_status st = rune_smp_rune_cmd(c, RUNE_SMP_RUNE_STATUS, name, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->rsp->doc;
    long arr;
    if ((st = answer_array(d, "runes", &arr, err)) != RUNE_OK) return st;
    for (uint32_t k = 0; k < d->items[arr].count; k++) {
        long m = rune_cbor_array_at(d, (uint32_t)arr, k);
        rune_smp_rune_info r;
        memset(&r, 0, sizeof r);
        const uint8_t *dg = NULL;
        rune_error e;
        if (m < 0 || text_field(d, (uint32_t)m, "name", r.name, sizeof r.name, &e) != RUNE_OK ||
            text_field(d, (uint32_t)m, "version", r.version, sizeof r.version, &e) != RUNE_OK ||
            text_field(d, (uint32_t)m, "state", r.state, sizeof r.state, &e) != RUNE_OK ||
            rune_cbor_get_bytes(d, (uint32_t)m, "digest", &dg, &r.digest_len, &e) != RUNE_OK ||
            rune_cbor_get_uint(d, (uint32_t)m, "uptime_ms", &r.uptime_ms, &e) != RUNE_OK)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "status answer: entry %u: %s", k,
                            m < 0 ? "missing" : e.msg);
        if (r.digest_len > sizeof r.digest) r.digest_len = sizeof r.digest;
        memcpy(r.digest, dg, r.digest_len);
        if (fn) fn(ud, &r);
    }
    return RUNE_OK;
}

rune_status rune_smp_rune_caps(rune_smp_client *c,
                               void (*fn)(void *ud, const rune_smp_cap_info *cap), void *ud,
                               rune_error *err)
{
    rune_status st = rune_smp_rune_cmd(c, RUNE_SMP_RUNE_CAPS, NULL, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->rsp->doc;
    long arr;
    if ((st = answer_array(d, "caps", &arr, err)) != RUNE_OK) return st;
    for (uint32_t k = 0; k < d->items[arr].count; k++) {
        long m = rune_cbor_array_at(d, (uint32_t)arr, k);
        rune_smp_cap_info cap;
        memset(&cap, 0, sizeof cap);
        rune_error e;
        if (m < 0 || text_field(d, (uint32_t)m, "kind", cap.kind, sizeof cap.kind, &e) != RUNE_OK ||
            text_field(d, (uint32_t)m, "name", cap.name, sizeof cap.name, &e) != RUNE_OK ||
            rune_cbor_get_bool(d, (uint32_t)m, "allowed", &cap.allowed, &e) != RUNE_OK)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "caps answer: entry %u: %s", k,
                            m < 0 ? "missing" : e.msg);
        if (fn) fn(ud, &cap);
    }
    return RUNE_OK;
}

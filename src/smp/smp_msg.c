/*
 * smp_msg.c - the SMP message envelope: 8-byte header, length check, CBOR map body, "rc"/"err".
 *
 * Workload: every message in and out of an agent or a client, at most 64 KB each. Decoding takes a
 * message as it came off the wire and must reject anything that is not exactly one header plus the
 * body its length declares.
 */
#include <stdio.h>
#include <string.h>

#include "rune/smp.h"

const char *rune_smp_err_name(int rc)
{
    static const char *const names[] = {
        "EOK",       "EUNKNOWN", "ENOMEM",  "EINVAL",   "ETIMEOUT", "ENOENT",
        "EBADSTATE", "EMSGSIZE", "ENOTSUP", "ECORRUPT", "EBUSY",    "EACCESSDENIED",
    };
    if (rc >= 0 && (size_t)rc < sizeof names / sizeof names[0]) return names[rc];
    if (rc >= RUNE_SMP_ERR_PERUSER) return "EPERUSER";
    return "EUNKNOWN";
}

void rune_smp_hdr_encode(const rune_smp_hdr *h, uint8_t out[RUNE_SMP_HDR_LEN])
{
    out[0] = (uint8_t)((h->version & 3) << 3 | (h->op & 7));
    out[1] = h->flags;
    out[2] = (uint8_t)(h->len >> 8);
    out[3] = (uint8_t)h->len;
    out[4] = (uint8_t)(h->group >> 8);
    out[5] = (uint8_t)h->group;
    out[6] = h->seq;
    out[7] = h->id;
}

rune_status rune_smp_hdr_decode(const uint8_t *buf, size_t len, rune_smp_hdr *h, rune_error *err)
{
    if (!buf || len < RUNE_SMP_HDR_LEN)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "smp: short header: %zu of 8 bytes", buf ? len : 0);
    if (buf[0] & 0xe0)
        return RUNE_ERR(err, RUNE_E_INVALID, "smp: reserved header bits set (0x%02x)", buf[0]);
    h->op = buf[0] & 7;
    h->version = (buf[0] >> 3) & 3;
    if (h->op > RUNE_SMP_OP_WRITE_RSP)
        return RUNE_ERR(err, RUNE_E_INVALID, "smp: unknown op %u", h->op);
    if (h->version > RUNE_SMP_V2)
        return RUNE_ERR(err, RUNE_E_INVALID, "smp: unknown protocol version %u", h->version + 1);
    h->flags = buf[1];
    h->len = (uint16_t)(buf[2] << 8 | buf[3]);
    h->group = (uint16_t)(buf[4] << 8 | buf[5]);
    h->seq = buf[6];
    h->id = buf[7];
    return RUNE_OK;
}

rune_status rune_smp_msg_decode(const uint8_t *buf, size_t len, rune_smp_msg *m, rune_error *err)
{
    rune_status st = rune_smp_hdr_decode(buf, len, &m->hdr, err);
    if (st != RUNE_OK) return st;
    size_t body = len - RUNE_SMP_HDR_LEN;
    if (m->hdr.len != body)
        return RUNE_ERR(err, RUNE_E_MALFORMED,
                        "smp: header declares a %u-byte body, the message has %zu", m->hdr.len,
                        body);
    m->body = buf + RUNE_SMP_HDR_LEN;
    m->body_len = body;
    if (body == 0) {
        /* an empty body is an empty map */
        static const uint8_t empty_map = 0xa0;
        return rune_cbor_decode(&empty_map, 1, m->items, RUNE_CBOR_MAX_ITEMS, &m->doc, err);
    }
    st = rune_cbor_decode(m->body, body, m->items, RUNE_CBOR_MAX_ITEMS, &m->doc, err);
    if (st != RUNE_OK) {
        rune_error_prefix(err, "smp body");
        return st;
    }
    if (m->items[0].type != RUNE_CBOR_MAP)
        return RUNE_ERR(err, RUNE_E_INVALID, "smp: body is not a CBOR map");
    return RUNE_OK;
}

rune_status rune_smp_msg_build(const rune_smp_hdr *h, const uint8_t *body, size_t body_len,
                               uint8_t *out, size_t cap, size_t *out_len, rune_error *err)
{
    if (body_len > 0xffff)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp: body of %zu bytes exceeds 65535", body_len);
    if (cap < RUNE_SMP_HDR_LEN + body_len)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp: message of %zu bytes, buffer holds %zu",
                        RUNE_SMP_HDR_LEN + body_len, cap);
    rune_smp_hdr hh = *h;
    hh.len = (uint16_t)body_len;
    rune_smp_hdr_encode(&hh, out);
    if (body_len) memmove(out + RUNE_SMP_HDR_LEN, body, body_len);
    *out_len = RUNE_SMP_HDR_LEN + body_len;
    return RUNE_OK;
}

int rune_smp_msg_rc(const rune_smp_msg *m, int *err_group, char *rsn, size_t rsn_cap)
{
    const rune_cbor_doc *d = &m->doc;
    int rc = 0;
    if (err_group) *err_group = -1;
    long i = rune_cbor_map_find(d, 0, "rc");
    if (i >= 0 && d->items[i].type == RUNE_CBOR_UINT)
        rc = d->items[i].v.u > 0xffff ? RUNE_SMP_ERR_UNKNOWN : (int)d->items[i].v.u;
    long e = rune_cbor_map_find(d, 0, "err");
    if (rc == 0 && e >= 0) {
        long r = rune_cbor_map_find(d, (uint32_t)e, "rc");
        long g = rune_cbor_map_find(d, (uint32_t)e, "group");
        if (r >= 0 && d->items[r].type == RUNE_CBOR_UINT && d->items[r].v.u != 0) {
            rc = d->items[r].v.u > 0xffff ? RUNE_SMP_ERR_UNKNOWN : (int)d->items[r].v.u;
            if (err_group)
                *err_group =
                    g >= 0 && d->items[g].type == RUNE_CBOR_UINT && d->items[g].v.u <= 0xffff
                        ? (int)d->items[g].v.u
                        : (int)m->hdr.group;
        }
    }
    if (rsn && rsn_cap) {
        rsn[0] = 0;
        long s = rune_cbor_map_find(d, 0, "rsn");
        if (s >= 0 && d->items[s].type == RUNE_CBOR_TEXT) {
            size_t n = d->items[s].v.s.len < rsn_cap - 1 ? d->items[s].v.s.len : rsn_cap - 1;
            memcpy(rsn, d->items[s].v.s.p, n);
            rsn[n] = 0;
        }
    }
    return rc;
}

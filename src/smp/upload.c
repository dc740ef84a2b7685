/*
 * upload.c - client side of the SMP image upload: chunks sized to the transport mtu, the device's
 * acknowledged offset as the only truth, resume after a break.
 *
 * Exchange: the first request carries {"image", "len", "sha" (SHA-256 of the whole image), "off":
 * 0, "data"}; the next ones {"off", "data"}. The device answers {"off": bytes it holds}; the client
 * goes on from there, so a lost or repeated chunk costs one round trip and nothing else. After a
 * failure the client sends the first request again: a device that kept the session (same sha)
 * answers with its offset, one that lost it starts over at 0. Workload: runes of tens of KB to a
 * few MB.
 */
#include <sodium.h>
#include <string.h>

#include "smp_int.h"

/* Upper bound of everything but the data bytes in a first request: header 8, map open/close 2,
 * "image" 6 + 5, "len" 4 + 9, "sha" 4 + 34, "off" 4 + 9, "data" 5 + a 3-byte length head. */
#define UPLOAD_OVERHEAD 93

rune_status rune_smp_upload_begin(rune_smp_upload *u, rune_smp_client *c, const uint8_t *data,
                                  size_t len, uint32_t image, rune_error *err)
{
    memset(u, 0, sizeof *u);
    if (!c || !c->t || (!data && len))
        return RUNE_ERR(err, RUNE_E_ARG, "upload: no client or no data");
    if (c->t->mtu <= UPLOAD_OVERHEAD + 16)
        return RUNE_ERR(err, RUNE_E_ARG, "upload: transport mtu %zu is too small", c->t->mtu);
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "upload: libsodium init failed");
    u->data = data;
    u->len = len;
    u->image = image;
    crypto_hash_sha256(u->sha, data, len);
    /* the device's receive buffer may be smaller than the link's mtu: ask it (OS params); a
     * device without that command gets mtu-sized messages */
    size_t msg_max = c->t->mtu;
    uint64_t buf_size = 0, buf_count = 0;
    rune_error perr;
    rune_status st = rune_smp_params(c, &buf_size, &buf_count, &perr);
    if (st == RUNE_OK && buf_size < msg_max) {
        if (buf_size <= UPLOAD_OVERHEAD + 16)
            return RUNE_ERR(err, RUNE_E_PROTOCOL,
                            "upload: device buffer of %llu bytes is too small",
                            (unsigned long long)buf_size);
        msg_max = (size_t)buf_size;
    } else if (st != RUNE_OK && st != RUNE_E_UNSUPPORTED && st != RUNE_E_NOT_FOUND &&
               st != RUNE_E_INVALID) {
        if (err) *err = perr;
        rune_error_prefix(err, "upload: asking the device for its buffer size");
        return st;
    }
    u->chunk = msg_max - UPLOAD_OVERHEAD;
    if (u->chunk > 0xffff - UPLOAD_OVERHEAD) u->chunk = 0xffff - UPLOAD_OVERHEAD;
    return RUNE_OK;
}

rune_status rune_smp_upload_step(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    if (u->done) return RUNE_OK;
    bool first = !u->synced || u->off == 0;
    size_t off = first ? 0 : u->off;
    size_t n = u->len - off < u->chunk ? u->len - off : u->chunk;
    /* the body is built where the request goes: right after the header room of the client's
     * transmit buffer (rune_smp_msg_build leaves a body already in place where it is) */
    uint8_t *body = c->tx + RUNE_SMP_HDR_LEN;
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, body, RUNE_SMP_MAX_MSG - RUNE_SMP_HDR_LEN);
    rune_cbor_put_map_indef(&e);
    if (first) {
        rune_cbor_put_textz(&e, "image");
        rune_cbor_put_uint(&e, u->image);
        rune_cbor_put_textz(&e, "len");
        rune_cbor_put_uint(&e, u->len);
        rune_cbor_put_textz(&e, "sha");
        rune_cbor_put_bytes(&e, u->sha, sizeof u->sha);
    }
    rune_cbor_put_textz(&e, "off");
    rune_cbor_put_uint(&e, off);
    rune_cbor_put_textz(&e, "data");
    rune_cbor_put_bytes(&e, u->data + off, n);
    rune_cbor_put_break(&e);
    rune_status st = rune_cbor_enc_finish(&e, err);
    if (st == RUNE_OK) {
        u->n_requests++;
        if (first && u->off > 0) u->n_resyncs++;
        st = rune_smp_client_request(c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_IMAGE,
                                     RUNE_SMP_IMAGE_UPLOAD, body, e.len, err);
    }
    if (st != RUNE_OK) {
        u->synced = false;
        rune_error_prefix(err, "upload at offset %zu", off);
        return st;
    }
    uint64_t got;
    if ((st = rune_cbor_get_uint(&c->rsp->doc, 0, "off", &got, err)) != RUNE_OK) {
        u->synced = false;
        rune_error_prefix(err, "upload answer");
        return st;
    }
    if (got > u->len) {
        u->synced = false;
        return RUNE_ERR(err, RUNE_E_PROTOCOL,
                        "upload: device acknowledged offset %llu of a "
                        "%zu-byte image",
                        (unsigned long long)got, u->len);
    }
    u->off = (size_t)got;
    u->synced = true;
    if (u->off == u->len) {
        bool match = true;
        rune_error e2;
        rune_status mst = rune_cbor_get_bool(&c->rsp->doc, 0, "match", &match, &e2);
        if (mst == RUNE_E_INVALID)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "upload answer: %s", e2.msg);
        u->match = match;
        u->done = true;
        if (!match)
            return RUNE_ERR(err, RUNE_E_VERIFY,
                            "upload: the device's SHA-256 of the image does "
                            "not match");
    }
    return RUNE_OK;
}

rune_status rune_smp_upload_run(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    while (!u->done) {
        rune_status st = rune_smp_upload_step(u, c, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

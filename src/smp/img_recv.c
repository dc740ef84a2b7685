/*
 * img_recv.c - server side of the SMP image upload (IMAGE group, command 1): the session state,
 * offset checks and the running SHA-256, writing through the agent's sink.
 *
 * Workload: one upload at a time into the agent's staging area, chunks of up to a few KB in order.
 * The device's offset is the truth: a chunk at another offset is not written and the answer tells
 * the client where to go on; a first packet with the same len and sha as the open session resumes
 * it. The final answer says whether the SHA-256 of what was received matches the declared one.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "smp_int.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((rune_smp_img_recv *)0)->hash_state),
               "hash_state too small for crypto_hash_sha256_state");

void rune_smp_img_recv_init(rune_smp_img_recv *r, const rune_smp_img_sink *sink, size_t max_len)
{
    memset(r, 0, sizeof *r);
    if (sink) r->sink = *sink;
    r->max_len = max_len;
}

static void answer(rune_cbor_enc *rsp, size_t off)
{
    rune_cbor_put_textz(rsp, "rc");
    rune_cbor_put_uint(rsp, 0);
    rune_cbor_put_textz(rsp, "off");
    rune_cbor_put_uint(rsp, off);
}

/* A sink's error rc, with the reason it left in r->rsn (if any) as the answer's "rsn". */
static int sink_refused(rune_smp_img_recv *r, rune_smp_request *req, int rc)
{
    if (r->rsn[0]) smp_strcat2(req->rsn, sizeof req->rsn, "", r->rsn);
    r->rsn[0] = '\0';
    return rc;
}

static int bad(rune_smp_request *req, const char *msg)
{
    smp_strcat2(req->rsn, sizeof req->rsn, "upload: ", msg);
    return RUNE_SMP_ERR_INVAL;
}

static int img_upload(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    rune_smp_img_recv *r = ud;
    crypto_hash_sha256_state *hs = (crypto_hash_sha256_state *)(void *)r->hash_state;
    const rune_cbor_doc *d = &req->msg->doc;
    rune_error e;
    uint64_t off;
    const uint8_t *data;
    size_t n;
    if (rune_cbor_get_uint(d, 0, "off", &off, &e) != RUNE_OK) return bad(req, e.msg);
    if (rune_cbor_get_bytes(d, 0, "data", &data, &n, &e) != RUNE_OK) return bad(req, e.msg);
    if (off == 0) {
        uint64_t len, image = 0;
        const uint8_t *sha;
        size_t sha_len;
        if (rune_cbor_get_uint(d, 0, "len", &len, &e) != RUNE_OK) return bad(req, e.msg);
        if (rune_cbor_get_bytes(d, 0, "sha", &sha, &sha_len, &e) != RUNE_OK) return bad(req, e.msg);
        if (sha_len != 32) return bad(req, "\"sha\" must be a 32-byte SHA-256");
        rune_status ist = rune_cbor_get_uint(d, 0, "image", &image, &e);
        if (ist == RUNE_E_INVALID || (ist == RUNE_OK && image > 0xffff))
            return bad(req, "bad \"image\"");
        if (r->active && r->len == len && r->image == image && memcmp(r->sha, sha, 32) == 0 &&
            r->off > 0) {
            answer(rsp, r->off); /* resume: the client goes on from what we hold */
            if (r->off == r->len) {
                rune_cbor_put_textz(rsp, "match");
                rune_cbor_put_bool(rsp, true);
            }
            return RUNE_SMP_ERR_OK;
        }
        if (len > r->max_len) {
            snprintf(req->rsn, sizeof req->rsn, "upload: image of %llu bytes exceeds %zu",
                     (unsigned long long)len, r->max_len);
            return RUNE_SMP_ERR_NOMEM;
        }
        r->active = false;
        if (r->sink.begin) {
            int rc = r->sink.begin(r->sink.ud, (uint32_t)image, (size_t)len, sha);
            if (rc != RUNE_SMP_ERR_OK) return sink_refused(r, req, rc);
        }
        r->active = true;
        r->image = (uint32_t)image;
        r->len = (size_t)len;
        r->off = 0;
        memcpy(r->sha, sha, 32);
        crypto_hash_sha256_init(hs);
    } else if (!r->active) {
        /* EBADSTATE, not EINVAL: the request is fine, the session is gone (it ended, or the
         * device restarted without it); the client starts again with a first packet */
        smp_strcat2(req->rsn, sizeof req->rsn, "upload: ",
                    "no upload in progress (the first packet has off 0)");
        return RUNE_SMP_ERR_BADSTATE;
    } else if (off != r->off) {
        answer(rsp, r->off); /* out of order or repeated: tell the client where we are */
        return RUNE_SMP_ERR_OK;
    }
    if (n > r->len - r->off) return bad(req, "chunk runs past the declared length");
    if (n > 0 && r->sink.write) {
        int rc = r->sink.write(r->sink.ud, r->off, data, n);
        if (rc != RUNE_SMP_ERR_OK) {
            r->active = false;
            return sink_refused(r, req, rc);
        }
    }
    crypto_hash_sha256_update(hs, data, n);
    r->off += n;
    answer(rsp, r->off);
    if (r->off == r->len) {
        uint8_t got[32];
        crypto_hash_sha256_final(hs, got);
        bool match = sodium_memcmp(got, r->sha, 32) == 0;
        if (r->sink.finish) {
            int rc = r->sink.finish(r->sink.ud, match);
            if (rc != RUNE_SMP_ERR_OK) {
                r->active = false;
                return sink_refused(r, req, rc);
            }
        }
        if (!match) r->active = false; /* a resume must not claim the image arrived */
        rune_cbor_put_textz(rsp, "match");
        rune_cbor_put_bool(rsp, match);
    }
    return RUNE_SMP_ERR_OK;
}

rune_status rune_smp_img_recv_restore(rune_smp_img_recv *r, uint32_t image, size_t len,
                                      const uint8_t sha[32], const uint8_t *held, size_t off,
                                      rune_error *err)
{
    if (!sha || (!held && off) || off >= len || len > r->max_len)
        return RUNE_ERR(err, RUNE_E_ARG, "upload restore: %zu of %zu bytes (max %zu)", off, len,
                        r->max_len);
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "upload: libsodium init failed");
    crypto_hash_sha256_state *hs = (crypto_hash_sha256_state *)(void *)r->hash_state;
    crypto_hash_sha256_init(hs);
    if (off) crypto_hash_sha256_update(hs, held, off);
    r->active = true;
    r->image = image;
    r->len = len;
    r->off = off;
    memcpy(r->sha, sha, 32);
    return RUNE_OK;
}

rune_status rune_smp_img_recv_register(rune_smp_img_recv *r, rune_smp_server *s, rune_error *err)
{
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "upload: libsodium init failed");
    return rune_smp_server_register(s, RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_UPLOAD,
                                    RUNE_SMP_OP_WRITE, img_upload, r, err);
}

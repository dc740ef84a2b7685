/*
 * upload.c - client side of the SMP image upload: chunks sized to the transport mtu, pipelined so
 * the link never waits for an answer, the device's acknowledged offset as the only truth, resume
 * after a break.
 *
 * Exchange: the first request carries {"image", "len", "sha" (SHA-256 of the whole image), "off":
 * 0, "data"}; the next ones {"off", "data"}. The device answers {"off": bytes it holds}. Up to
 * `window` chunks are in flight, answers matched by sequence number; the chunks after the first
 * request go out before its answer (which says where a resumed upload goes on). The device takes
 * chunks only at its offset and answers the others with that offset, so a lost chunk shows as an
 * answer short of its chunk's end: the client goes back to the device's offset (what else was in
 * flight is stale and its answers are skipped). A lost answer is covered by the next one; when no
 * answer comes the newest chunk is sent again unchanged. After a failure the client sends the first
 * request again: a device that kept the session (same sha) answers with its offset, one that lost
 * it starts over at 0. Workload: runes of tens of KB to a few MB over UDP or a 115200 - 921600 baud
 * serial line.
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
    rune_status st = RUNE_OK;
    if (c->dev_mtu) /* the framing negotiation told it */
        buf_size = c->dev_mtu;
    else
        st = rune_smp_params(c, &buf_size, &buf_count, &perr);
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
    /* two chunks keep the line busy while one answer comes back; more cover 50 ms of latency */
    size_t w = 4;
    if (c->t->rate) w = 2 + (c->t->rate / 20 + u->chunk - 1) / u->chunk;
    u->window = (unsigned)(w > RUNE_SMP_UPLOAD_MAX_WINDOW ? RUNE_SMP_UPLOAD_MAX_WINDOW : w);
    return RUNE_OK;
}

/* Build the request for the chunk at off (n bytes; first: with image, len and sha) in c->tx. */
static rune_status build(rune_smp_upload *u, rune_smp_client *c, size_t off, size_t n, bool first,
                         size_t *body_len, rune_error *err)
{
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
    *body_len = e.len;
    return rune_cbor_enc_finish(&e, err);
}

/* Send the chunk of flight f (a new one, or the same bytes again) without waiting. */
static rune_status send_chunk(rune_smp_upload *u, rune_smp_client *c,
                              const rune_smp_upload_flight *f, rune_error *err)
{
    size_t body_len = 0, len = 0;
    rune_status st = build(u, c, f->off, f->n, f->first, &body_len, err);
    rune_smp_hdr h = {.op = RUNE_SMP_OP_WRITE,
                      .version = c->version,
                      .group = RUNE_SMP_GROUP_IMAGE,
                      .seq = f->seq,
                      .id = RUNE_SMP_IMAGE_UPLOAD};
    if (st == RUNE_OK)
        st = rune_smp_msg_build(&h, c->tx + RUNE_SMP_HDR_LEN, body_len, c->tx, RUNE_SMP_MAX_MSG,
                                &len, err);
    if (st == RUNE_OK && len > c->t->mtu)
        st = RUNE_ERR(err, RUNE_E_LIMIT, "upload: request of %zu bytes exceeds the mtu %zu", len,
                      c->t->mtu);
    if (st == RUNE_OK) st = c->t->send(c->t, c->tx, len, err);
    if (st != RUNE_OK) return st;
    if (c->t->rate) { /* when the line will have carried it (console frames: 4/3 and more) */
        uint64_t now = smp_now_us();
        if (u->line_free_us < now) u->line_free_us = now;
        u->line_free_us += (uint64_t)len * 3 / 2 * 1000000u / c->t->rate;
    }
    return RUNE_OK;
}

static void unsync(rune_smp_upload *u)
{
    u->synced = false;
    u->nfly = 0;
}

/* The answer's offset; the end of the upload (match) when it is the image's length. */
static rune_status take_off(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    uint64_t got;
    rune_status st;
    if ((st = rune_cbor_get_uint(&c->rsp->doc, 0, "off", &got, err)) != RUNE_OK) {
        unsync(u);
        return rune_error_prefix(err, "upload answer");
    }
    if (got > u->len) {
        unsync(u);
        return RUNE_ERR(err, RUNE_E_PROTOCOL,
                        "upload: device acknowledged offset %llu of a %zu-byte image",
                        (unsigned long long)got, u->len);
    }
    u->off = (size_t)got;
    u->synced = true;
    if (u->off == u->len) {
        bool match = true;
        rune_error e2;
        rune_status mst = rune_cbor_get_bool(&c->rsp->doc, 0, "match", &match, &e2);
        u->nfly = 0;
        if (mst == RUNE_E_INVALID)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "upload answer: %s", e2.msg);
        u->match = match;
        u->done = true;
        if (!match)
            return RUNE_ERR(err, RUNE_E_VERIFY,
                            "upload: the device's SHA-256 of the image does not match");
    }
    return RUNE_OK;
}

/* Fill the window, then wait for one answer to a chunk in flight. */
static rune_status pipelined_step(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    rune_status st;
    while (u->nfly < u->window && u->next < u->len) {
        rune_smp_upload_flight f = {c->seq++, false, u->next,
                                    u->len - u->next < u->chunk ? u->len - u->next : u->chunk};
        if ((st = send_chunk(u, c, &f, err)) != RUNE_OK) {
            unsync(u);
            return rune_error_prefix(err, "upload at offset %zu", f.off);
        }
        u->fly[u->nfly++] = f;
        u->next += f.n;
        u->n_requests++;
    }
    if (u->nfly == 0) { /* nothing to wait for (cannot happen while not done): ask again */
        unsync(u);
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "upload: nothing in flight at offset %zu", u->off);
    }
    int tries = 0;
    uint64_t base = smp_now_us();
    if (u->line_free_us > base) base = u->line_free_us;
    uint64_t deadline = base + (uint64_t)c->timeout_ms * 1000u;
    for (;;) {
        uint64_t now = smp_now_us();
        size_t n = 0;
        st = now >= deadline ? RUNE_E_TIMEOUT
                             : c->t->recv(c->t, c->rx, RUNE_SMP_MAX_MSG, &n,
                                          (int)((deadline - now + 999) / 1000), err);
        if (st == RUNE_E_TIMEOUT) {
            if (tries++ >= c->retries) {
                unsync(u);
                return RUNE_ERR(err, RUNE_E_TIMEOUT,
                                "upload: no answer at offset %zu after %d tries of %d ms", u->off,
                                c->retries + 1, c->timeout_ms);
            }
            c->n_retries++;
            /* the first packet while it is unanswered (without it there is no session), else
             * the newest chunk */
            rune_smp_upload_flight last = u->fly[0].first ? u->fly[0] : u->fly[u->nfly - 1];
            if ((st = send_chunk(u, c, &last, err)) != RUNE_OK) {
                unsync(u);
                return rune_error_prefix(err, "upload at offset %zu", last.off);
            }
            base = smp_now_us();
            if (u->line_free_us > base) base = u->line_free_us;
            deadline = base + (uint64_t)c->timeout_ms * 1000u;
            continue;
        }
        if (st == RUNE_E_IO) {
            unsync(u);
            return st;
        }
        if (st != RUNE_OK) continue; /* a garbled frame: the next answer or a resend covers it */
        rune_error derr;
        if (rune_smp_msg_decode(c->rx, n, c->rsp, &derr) != RUNE_OK) continue;
        const rune_smp_hdr *r = &c->rsp->hdr;
        if (r->op != RUNE_SMP_OP_WRITE_RSP || r->group != RUNE_SMP_GROUP_IMAGE ||
            r->id != RUNE_SMP_IMAGE_UPLOAD)
            continue;
        unsigned k = 0;
        while (k < u->nfly && u->fly[k].seq != r->seq)
            k++;
        if (k == u->nfly) continue; /* stale: sent before the client went back, or a duplicate */
        rune_smp_upload_flight f = u->fly[k];
        if ((st = smp_rsp_status(c, RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_UPLOAD, err)) != RUNE_OK) {
            if (k > 0 && u->fly[0].first) continue; /* sent before the device had the session */
            unsync(u);
            return rune_error_prefix(err, "upload at offset %zu", f.off);
        }
        /* answers come in order: the ones before this were lost on the way back */
        memmove(u->fly, u->fly + k + 1, (u->nfly - k - 1) * sizeof u->fly[0]);
        u->nfly -= k + 1;
        if (c->t->rate) { /* the line carried this chunk: what is left in flight is still due */
            size_t due = 0;
            for (unsigned i = 0; i < u->nfly; i++)
                due += u->fly[i].n + UPLOAD_OVERHEAD;
            u->line_free_us = smp_now_us() + (uint64_t)due * 3 / 2 * 1000000u / c->t->rate;
        }
        if ((st = take_off(u, c, err)) != RUNE_OK || u->done) return st;
        if (u->off < f.off + f.n) {
            /* the device did not take this chunk: one before it was lost (or, for the first
             * packet, a resume further back). What is in flight lies past the gap and will be
             * refused too: go back to the device's offset. */
            u->next = u->off;
            u->nfly = 0;
            if (!f.first) u->n_rewinds++;
        } else if (u->off > f.off + f.n) {
            /* the device is ahead (a resume, or chunks it took that were thought stale): what
             * lies behind its offset is done; chunks in flight from there on still count */
            unsigned j = 0;
            while (j < u->nfly && u->fly[j].off < u->off)
                j++;
            memmove(u->fly, u->fly + j, (u->nfly - j) * sizeof u->fly[0]);
            u->nfly -= j;
            if (u->nfly == 0 || u->fly[0].off != u->off) { /* nothing lines up: go on from it */
                u->nfly = 0;
                u->next = u->off;
            }
        }
        return RUNE_OK;
    }
}

rune_status rune_smp_upload_step(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    if (u->done) return RUNE_OK;
    if (u->window > 1) {
        if (!u->synced && u->nfly == 0) { /* (re)start with the first packet */
            rune_smp_upload_flight f = {c->seq++, true, 0, u->len < u->chunk ? u->len : u->chunk};
            rune_status st = send_chunk(u, c, &f, err);
            if (st != RUNE_OK) return rune_error_prefix(err, "upload at offset 0");
            u->n_requests++;
            if (u->off > 0) u->n_resyncs++;
            u->fly[u->nfly++] = f;
            u->next = f.n;
        }
        return pipelined_step(u, c, err);
    }
    bool first = !u->synced || u->off == 0;
    size_t off = first ? 0 : u->off;
    size_t n = u->len - off < u->chunk ? u->len - off : u->chunk;
    size_t body_len = 0;
    rune_status st = build(u, c, off, n, first, &body_len, err);
    u->nfly = 0;
    if (st == RUNE_OK) {
        u->n_requests++;
        if (first && u->off > 0) u->n_resyncs++;
        st =
            rune_smp_client_request(c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_IMAGE,
                                    RUNE_SMP_IMAGE_UPLOAD, c->tx + RUNE_SMP_HDR_LEN, body_len, err);
    }
    if (st != RUNE_OK) {
        unsync(u);
        rune_error_prefix(err, "upload at offset %zu", off);
        return st;
    }
    st = take_off(u, c, err);
    u->next = u->off;
    return st;
}

rune_status rune_smp_upload_run(rune_smp_upload *u, rune_smp_client *c, rune_error *err)
{
    while (!u->done) {
        rune_status st = rune_smp_upload_step(u, c, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

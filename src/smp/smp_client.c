/*
 * smp_client.c - the client side of SMP: one request at a time with a timeout, retries with the
 * same sequence number, matching of the response, rc to status, and a helper per command so that
 * hmr stays thin.
 *
 * Workload: a CLI or a fleet tool driving one device over a lossy link (UDP, a noisy UART). Late
 * duplicates and answers to earlier requests are skipped by sequence number, group and command.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"
#include "smp_int.h"

rune_status rune_smp_client_init(rune_smp_client *c, rune_smp_transport *t, rune_error *err)
{
    memset(c, 0, sizeof *c);
    if (!t) return RUNE_ERR(err, RUNE_E_ARG, "smp client: no transport");
    c->t = t;
    c->version = RUNE_SMP_V2;
    /* a random first sequence number: two short-lived clients in a row (two hmr commands) must
     * not look like one client retrying to the device's retry cache */
    if (sodium_init() < 0) return RUNE_ERR(err, RUNE_E_INTERNAL, "smp client: libsodium init");
    c->seq = (uint8_t)randombytes_uniform(256);
    c->timeout_ms = 1000;
    c->retries = 3;
    c->tx = rune_malloc(RUNE_SMP_MAX_MSG);
    c->rx = rune_malloc(RUNE_SMP_MAX_MSG);
    c->rsp = rune_malloc(sizeof *c->rsp);
    if (!c->tx || !c->rx || !c->rsp) {
        rune_smp_client_free(c);
        return RUNE_ERR(err, RUNE_E_NOMEM, "smp client: out of memory");
    }
    return RUNE_OK;
}

void rune_smp_client_free(rune_smp_client *c)
{
    if (!c) return;
    rune_free(c->tx);
    rune_free(c->rx);
    rune_free(c->rsp);
    c->tx = c->rx = NULL;
    c->rsp = NULL;
}

static rune_status rc_status(int rc)
{
    switch (rc) {
    case RUNE_SMP_ERR_NOENT: return RUNE_E_NOT_FOUND;
    case RUNE_SMP_ERR_NOTSUP: return RUNE_E_UNSUPPORTED;
    case RUNE_SMP_ERR_ACCESSDENIED: return RUNE_E_DENIED;
    case RUNE_SMP_ERR_INVAL: return RUNE_E_INVALID;
    default: return RUNE_E_PROTOCOL;
    }
}

rune_status smp_rsp_status(const rune_smp_client *c, uint16_t group, uint8_t id, rune_error *err)
{
    char rsn[128];
    int egroup = -1;
    rune_status st = RUNE_OK;
    int rc = rune_smp_msg_rc(c->rsp, &egroup, rsn, sizeof rsn);
    if (rc != 0 && egroup >= 0 && egroup < RUNE_SMP_GROUP_RUNE) {
        /* a standard group's own code: we do not know its meaning */
        st = RUNE_ERR(err, RUNE_E_PROTOCOL,
                      "device answered group %u command %u: group %d error %d%s%s", group, id,
                      egroup, rc, rsn[0] ? ": " : "", rsn);
    } else if (rc != 0) {
        st = RUNE_ERR(err, rc_status(rc), "device answered group %u command %u: rc %d (%s)%s%s",
                      group, id, rc, rune_smp_err_name(rc), rsn[0] ? ": " : "", rsn);
    }
    if (rc != 0 && err) err->code = rc;
    return st;
}

rune_status rune_smp_client_request(rune_smp_client *c, uint8_t op, uint16_t group, uint8_t id,
                                    const uint8_t *body, size_t body_len, rune_error *err)
{
    static const uint8_t empty_map = 0xa0;
    if (!body) {
        body = &empty_map;
        body_len = 1;
    }
    if (op != RUNE_SMP_OP_READ && op != RUNE_SMP_OP_WRITE)
        return RUNE_ERR(err, RUNE_E_ARG, "smp client: op %u is not a request", op);
    if (RUNE_SMP_HDR_LEN + body_len > c->t->mtu)
        return RUNE_ERR(err, RUNE_E_LIMIT,
                        "smp client: request of %zu bytes exceeds the %s mtu %zu",
                        RUNE_SMP_HDR_LEN + body_len, c->t->name, c->t->mtu);
    rune_smp_hdr h = {.op = op, .version = c->version, .group = group, .seq = c->seq++, .id = id};
    size_t len;
    rune_status st = rune_smp_msg_build(&h, body, body_len, c->tx, RUNE_SMP_MAX_MSG, &len, err);
    if (st != RUNE_OK) return st;
    for (int attempt = 0; attempt <= c->retries; attempt++) {
        if ((st = c->t->send(c->t, c->tx, len, err)) != RUNE_OK) return st;
        uint64_t deadline = smp_now_ms() + (uint64_t)c->timeout_ms;
        for (;;) {
            uint64_t now = smp_now_ms();
            if (now >= deadline) break;
            size_t n = 0;
            st = c->t->recv(c->t, c->rx, RUNE_SMP_MAX_MSG, &n, (int)(deadline - now), err);
            if (st == RUNE_E_TIMEOUT) break;
            if (st == RUNE_E_IO) return st;
            if (st != RUNE_OK) continue; /* a garbled frame: the retry will fix it */
            rune_error derr;
            if (rune_smp_msg_decode(c->rx, n, c->rsp, &derr) != RUNE_OK) continue;
            const rune_smp_hdr *r = &c->rsp->hdr;
            if (r->op != op + 1 || r->seq != h.seq || r->group != group || r->id != id) continue;
            return smp_rsp_status(c, group, id, err);
        }
        if (attempt < c->retries) c->n_retries++;
    }
    return RUNE_ERR(err, RUNE_E_TIMEOUT,
                    "smp: no answer from the device to group %u command %u "
                    "after %d tries of %d ms",
                    group, id, c->retries + 1, c->timeout_ms);
}

/* Body buffer for small requests; large ones (upload) build their own. */
typedef struct small_body {
    uint8_t buf[512];
    rune_cbor_enc e;
} small_body;

static rune_status send_small(rune_smp_client *c, uint8_t op, uint16_t group, uint8_t id,
                              small_body *b, rune_error *err)
{
    rune_status st = rune_cbor_enc_finish(&b->e, err);
    if (st != RUNE_OK) return st;
    return rune_smp_client_request(c, op, group, id, b->buf, b->e.len, err);
}

rune_status rune_smp_echo(rune_smp_client *c, const char *text, char *out, size_t cap,
                          rune_error *err)
{
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    rune_cbor_put_map(&b.e, 1);
    rune_cbor_put_textz(&b.e, "d");
    rune_cbor_put_textz(&b.e, text);
    rune_status st = send_small(c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_ECHO, &b, err);
    if (st != RUNE_OK) return st;
    return rune_cbor_get_textz(&c->rsp->doc, 0, "r", out, cap, err);
}

rune_status rune_smp_reset(rune_smp_client *c, rune_error *err)
{
    return rune_smp_client_request(c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_RESET, NULL,
                                   0, err);
}

rune_status rune_smp_os_info(rune_smp_client *c, const char *format, char *out, size_t cap,
                             rune_error *err)
{
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    rune_cbor_put_map(&b.e, format ? 1 : 0);
    if (format) {
        rune_cbor_put_textz(&b.e, "format");
        rune_cbor_put_textz(&b.e, format);
    }
    rune_status st = send_small(c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_INFO, &b, err);
    if (st != RUNE_OK) return st;
    return rune_cbor_get_textz(&c->rsp->doc, 0, "output", out, cap, err);
}

rune_status rune_smp_params(rune_smp_client *c, uint64_t *buf_size, uint64_t *buf_count,
                            rune_error *err)
{
    rune_status st = rune_smp_client_request(c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_OS,
                                             RUNE_SMP_OS_PARAMS, NULL, 0, err);
    if (st != RUNE_OK) return st;
    if ((st = rune_cbor_get_uint(&c->rsp->doc, 0, "buf_size", buf_size, err)) != RUNE_OK) return st;
    return rune_cbor_get_uint(&c->rsp->doc, 0, "buf_count", buf_count, err);
}

rune_status rune_smp_negotiate_framing(rune_smp_client *c, bool *binary, rune_error *err)
{
    *binary = false;
    if (!c->t->set_framing) return RUNE_OK;
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    rune_cbor_put_map(&b.e, 2);
    rune_cbor_put_textz(&b.e, "framing");
    rune_cbor_put_textz(&b.e, "bin1");
    rune_cbor_put_textz(&b.e, "mtu");
    rune_cbor_put_uint(&b.e, RUNE_SMP_SERIAL_BIN_MTU);
    rune_status st =
        send_small(c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_FRAMING, &b, err);
    if (st == RUNE_E_TIMEOUT || st == RUNE_E_IO) return st;
    if (st != RUNE_OK) return RUNE_OK; /* not known there (ENOTSUP, or a group error): console */
    char name[16];
    uint64_t mtu = 0;
    rune_error e;
    if (rune_cbor_get_textz(&c->rsp->doc, 0, "framing", name, sizeof name, &e) != RUNE_OK ||
        strcmp(name, "bin1") != 0 ||
        rune_cbor_get_uint(&c->rsp->doc, 0, "mtu", &mtu, &e) != RUNE_OK ||
        mtu < RUNE_SMP_HDR_LEN + 128)
        return RUNE_OK; /* an answer we cannot use: stay on the console framing */
    if (mtu > RUNE_SMP_SERIAL_BIN_MTU) mtu = RUNE_SMP_SERIAL_BIN_MTU;
    if ((st = rune_smp_serial_framing(c->t, RUNE_SMP_FRAMING_BINARY, (size_t)mtu, err)) != RUNE_OK)
        return st;
    c->dev_mtu = (size_t)mtu;
    *binary = true;
    return RUNE_OK;
}

static bool opt_bool(const rune_cbor_doc *d, uint32_t map, const char *key)
{
    bool v = false;
    rune_error e;
    return rune_cbor_get_bool(d, map, key, &v, &e) == RUNE_OK && v;
}

rune_status rune_smp_image_state(rune_smp_client *c, const uint8_t *hash, size_t hash_len,
                                 bool confirm, rune_smp_image_slot *out, size_t cap, size_t *n,
                                 rune_error *err)
{
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    if (hash) {
        rune_cbor_put_map(&b.e, 2);
        rune_cbor_put_textz(&b.e, "hash");
        rune_cbor_put_bytes(&b.e, hash, hash_len);
        rune_cbor_put_textz(&b.e, "confirm");
        rune_cbor_put_bool(&b.e, confirm);
    } else {
        rune_cbor_put_map(&b.e, 0);
    }
    rune_status st = send_small(c, hash ? RUNE_SMP_OP_WRITE : RUNE_SMP_OP_READ,
                                RUNE_SMP_GROUP_IMAGE, RUNE_SMP_IMAGE_STATE, &b, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->rsp->doc;
    long arr = rune_cbor_map_find(d, 0, "images");
    if (arr < 0 || d->items[arr].type != RUNE_CBOR_ARRAY)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "image state: answer has no \"images\" array");
    *n = 0;
    for (uint32_t k = 0; k < d->items[arr].count; k++) {
        long m = rune_cbor_array_at(d, (uint32_t)arr, k);
        if (m < 0 || d->items[m].type != RUNE_CBOR_MAP)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "image state: entry %u is not a map", k);
        if (*n >= cap) break;
        rune_smp_image_slot *s = &out[(*n)++];
        memset(s, 0, sizeof *s);
        uint64_t v = 0;
        rune_error e;
        if (rune_cbor_get_uint(d, (uint32_t)m, "image", &v, &e) == RUNE_OK) s->image = (uint32_t)v;
        if (rune_cbor_get_uint(d, (uint32_t)m, "slot", &v, &e) == RUNE_OK) s->slot = (uint32_t)v;
        rune_cbor_get_textz(d, (uint32_t)m, "version", s->version, sizeof s->version, &e);
        const uint8_t *hp;
        size_t hl;
        if (rune_cbor_get_bytes(d, (uint32_t)m, "hash", &hp, &hl, &e) == RUNE_OK) {
            s->hash_len = hl < sizeof s->hash ? hl : sizeof s->hash;
            memcpy(s->hash, hp, s->hash_len);
        }
        s->bootable = opt_bool(d, (uint32_t)m, "bootable");
        s->pending = opt_bool(d, (uint32_t)m, "pending");
        s->confirmed = opt_bool(d, (uint32_t)m, "confirmed");
        s->active = opt_bool(d, (uint32_t)m, "active");
        s->permanent = opt_bool(d, (uint32_t)m, "permanent");
    }
    return RUNE_OK;
}

rune_status rune_smp_rune_cmd(rune_smp_client *c, uint8_t cmd, const char *name, rune_error *err)
{
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    rune_cbor_put_map(&b.e, name ? 1 : 0);
    if (name) {
        rune_cbor_put_textz(&b.e, "name");
        rune_cbor_put_textz(&b.e, name);
    }
    uint8_t op = cmd == RUNE_SMP_RUNE_START || cmd == RUNE_SMP_RUNE_STOP ? RUNE_SMP_OP_WRITE
                                                                         : RUNE_SMP_OP_READ;
    return send_small(c, op, RUNE_SMP_GROUP_RUNE, cmd, &b, err);
}

rune_status rune_smp_rune_logs(rune_smp_client *c, uint64_t since, uint32_t max, const char *rune,
                               void (*fn)(void *ud, const rune_smp_log_entry *e), void *ud,
                               uint64_t *next, uint64_t *dropped, rune_error *err)
{
    small_body b;
    rune_cbor_enc_init(&b.e, b.buf, sizeof b.buf);
    rune_cbor_put_map(&b.e, rune ? 3 : 2);
    rune_cbor_put_textz(&b.e, "since");
    rune_cbor_put_uint(&b.e, since);
    rune_cbor_put_textz(&b.e, "max");
    rune_cbor_put_uint(&b.e, max);
    if (rune) {
        rune_cbor_put_textz(&b.e, "name");
        rune_cbor_put_textz(&b.e, rune);
    }
    rune_status st =
        send_small(c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_LOGS, &b, err);
    if (st != RUNE_OK) return st;
    const rune_cbor_doc *d = &c->rsp->doc;
    if ((st = rune_cbor_get_uint(d, 0, "next", next, err)) != RUNE_OK ||
        (st = rune_cbor_get_uint(d, 0, "dropped", dropped, err)) != RUNE_OK) {
        rune_error_prefix(err, "logs answer");
        return st;
    }
    long arr = rune_cbor_map_find(d, 0, "entries");
    if (arr < 0 || d->items[arr].type != RUNE_CBOR_ARRAY)
        return RUNE_ERR(err, RUNE_E_PROTOCOL, "logs answer has no \"entries\" array");
    for (uint32_t k = 0; k < d->items[arr].count; k++) {
        long m = rune_cbor_array_at(d, (uint32_t)arr, k);
        rune_smp_log_entry e;
        memset(&e, 0, sizeof e);
        uint64_t level = 0;
        if (m < 0 || (st = rune_cbor_get_uint(d, (uint32_t)m, "seq", &e.seq, err)) != RUNE_OK ||
            (st = rune_cbor_get_uint(d, (uint32_t)m, "t_ms", &e.t_ms, err)) != RUNE_OK ||
            (st = rune_cbor_get_uint(d, (uint32_t)m, "level", &level, err)) != RUNE_OK ||
            (st = rune_cbor_get_text(d, (uint32_t)m, "rune", &e.rune, &e.rune_len, err)) !=
                RUNE_OK ||
            (st = rune_cbor_get_text(d, (uint32_t)m, "msg", &e.msg, &e.msg_len, err)) != RUNE_OK)
            return RUNE_ERR(err, RUNE_E_PROTOCOL, "logs answer: entry %u is not a log entry", k);
        e.level = (unsigned)level;
        if (fn) fn(ud, &e);
    }
    return RUNE_OK;
}

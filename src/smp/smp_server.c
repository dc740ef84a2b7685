/*
 * smp_server.c - the server side of SMP: a (group, command, op) -> handler table, the request/
 * response envelope around handlers, idempotent answers to retried requests, and the OS handlers
 * that need nothing from the agent (echo, params, info).
 *
 * Workload: one device agent answering one client at a time, a request every few milliseconds at
 * most; the table is a short array searched linearly. Retries are recognised by keeping the last
 * request and its response, byte for byte: a client retries a lost exchange with the same sequence
 * number and bytes, and must get the same answer without the handler running twice.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "rune/alloc.h"
#include "rune/smp.h"
#include "smp_int.h"

typedef struct handler {
    uint16_t group;
    uint8_t id, op;
    rune_smp_handler_fn fn;
    void *ud;
} handler;

struct rune_smp_server {
    handler h[RUNE_SMP_MAX_HANDLERS];
    size_t n;
    size_t mtu; /* reported by the params handler */
    rune_smp_msg *msg;
    uint8_t *rx, *tx;
    uint8_t *last_req, *last_rsp;
    size_t last_req_len, last_rsp_len;
    bool have_last;
    uint64_t last_ms;  /* when the cached answer was made */
    unsigned retry_ms; /* a repeat later than this is a new request, not a retry */
};

rune_status rune_smp_server_create(rune_smp_server **out, rune_error *err)
{
    *out = NULL;
    rune_smp_server *s = rune_calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->msg = rune_malloc(sizeof *s->msg);
    s->rx = rune_malloc(RUNE_SMP_MAX_MSG);
    s->tx = rune_malloc(RUNE_SMP_MAX_MSG);
    s->last_req = rune_malloc(RUNE_SMP_MAX_MSG);
    s->last_rsp = rune_malloc(RUNE_SMP_MAX_MSG);
    if (!s->msg || !s->rx || !s->tx || !s->last_req || !s->last_rsp) goto nomem;
    s->mtu = RUNE_SMP_UDP_MTU;
    s->retry_ms = RUNE_SMP_RETRY_WINDOW_MS;
    *out = s;
    return RUNE_OK;
nomem:
    rune_smp_server_destroy(s);
    return RUNE_ERR(err, RUNE_E_NOMEM, "smp server: out of memory");
}

void rune_smp_server_destroy(rune_smp_server *s)
{
    if (!s) return;
    rune_free(s->msg);
    rune_free(s->rx);
    rune_free(s->tx);
    rune_free(s->last_req);
    rune_free(s->last_rsp);
    rune_free(s);
}

rune_status rune_smp_server_register(rune_smp_server *s, uint16_t group, uint8_t id, uint8_t op,
                                     rune_smp_handler_fn fn, void *ud, rune_error *err)
{
    if (!s || !fn || (op != RUNE_SMP_OP_READ && op != RUNE_SMP_OP_WRITE))
        return RUNE_ERR(err, RUNE_E_ARG, "smp server: bad handler registration");
    for (size_t i = 0; i < s->n; i++) {
        if (s->h[i].group == group && s->h[i].id == id && s->h[i].op == op) {
            s->h[i].fn = fn;
            s->h[i].ud = ud;
            return RUNE_OK;
        }
    }
    if (s->n >= RUNE_SMP_MAX_HANDLERS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp server: more than %d handlers",
                        RUNE_SMP_MAX_HANDLERS);
    s->h[s->n++] = (handler){.group = group, .id = id, .op = op, .fn = fn, .ud = ud};
    s->have_last = false;
    return RUNE_OK;
}

void rune_smp_server_set_retry_window(rune_smp_server *s, unsigned ms)
{
    s->retry_ms = ms;
}

static const handler *find(const rune_smp_server *s, uint16_t group, uint8_t id, uint8_t op)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->h[i].group == group && s->h[i].id == id && s->h[i].op == op) return &s->h[i];
    return NULL;
}

/* The pairs of an error response: {"rc": rc}, or for a v2 group error {"err": {"group", "rc"}};
 * "rsn" when given. */
static void put_error(rune_cbor_enc *e, const rune_smp_hdr *h, int rc, const char *rsn,
                      bool group_err)
{
    if (group_err && h->version == RUNE_SMP_V2) {
        rune_cbor_put_textz(e, "err");
        rune_cbor_put_map(e, 2);
        rune_cbor_put_textz(e, "group");
        rune_cbor_put_uint(e, h->group);
        rune_cbor_put_textz(e, "rc");
        rune_cbor_put_uint(e, (uint64_t)rc);
    } else {
        rune_cbor_put_textz(e, "rc");
        rune_cbor_put_uint(e, (uint64_t)rc);
    }
    if (rsn && rsn[0]) {
        rune_cbor_put_textz(e, "rsn");
        rune_cbor_put_textz(e, rsn);
    }
}

rune_status rune_smp_server_handle(rune_smp_server *s, const uint8_t *req, size_t req_len,
                                   uint8_t *rsp, size_t rsp_cap, size_t *rsp_len, rune_error *err)
{
    *rsp_len = 0;
    rune_smp_hdr h;
    rune_status st = rune_smp_hdr_decode(req, req_len, &h, err);
    if (st != RUNE_OK) return st;
    if (h.op == RUNE_SMP_OP_READ_RSP || h.op == RUNE_SMP_OP_WRITE_RSP) return RUNE_OK;
    if (rsp_cap < RUNE_SMP_HDR_LEN + 2)
        return RUNE_ERR(err, RUNE_E_ARG, "smp server: response buffer too small");

    uint64_t now = smp_now_ms();
    if (s->have_last && s->retry_ms && now - s->last_ms <= s->retry_ms &&
        s->last_req_len == req_len && memcmp(s->last_req, req, req_len) == 0 &&
        s->last_rsp_len <= rsp_cap) {
        memcpy(rsp, s->last_rsp, s->last_rsp_len);
        *rsp_len = s->last_rsp_len;
        return RUNE_OK;
    }

    rune_smp_request r;
    memset(&r, 0, sizeof r);
    r.msg = s->msg;
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, rsp + RUNE_SMP_HDR_LEN, rsp_cap - RUNE_SMP_HDR_LEN);
    rune_cbor_put_map_indef(&e);
    size_t start = e.len;
    rune_error derr;
    rune_error_clear(&derr);
    rune_status ret = rune_smp_msg_decode(req, req_len, s->msg, &derr);
    int rc;
    bool handled = false; /* the rc comes from a handler, not from the dispatcher */
    if (ret != RUNE_OK) {
        rc = RUNE_SMP_ERR_INVAL;
        smp_strcat2(r.rsn, sizeof r.rsn, "", derr.msg);
        if (err) *err = derr;
    } else {
        const handler *hd = find(s, h.group, h.id, h.op);
        if (!hd) {
            rc = RUNE_SMP_ERR_NOTSUP;
        } else {
            rc = hd->fn(hd->ud, &r, &e);
            handled = rc != RUNE_SMP_ERR_OK;
            if (rc == RUNE_SMP_ERR_OK && e.overflow) {
                rc = RUNE_SMP_ERR_MSGSIZE;
                snprintf(r.rsn, sizeof r.rsn, "response of %zu bytes does not fit", e.len);
            }
        }
    }
    if (rc != RUNE_SMP_ERR_OK) {
        e.len = start;
        e.overflow = false;
        put_error(&e, &h, rc, r.rsn, handled && r.group_err);
    }
    rune_cbor_put_break(&e);
    if (e.overflow || e.len > 0xffff)
        return RUNE_ERR(err, RUNE_E_LIMIT, "smp server: response does not fit in %zu bytes",
                        rsp_cap);
    rune_smp_hdr rh = h;
    rh.op = (uint8_t)(h.op + 1);
    rh.flags = 0;
    rh.len = (uint16_t)e.len;
    rune_smp_hdr_encode(&rh, rsp);
    *rsp_len = RUNE_SMP_HDR_LEN + e.len;

    if (ret == RUNE_OK) {
        memcpy(s->last_req, req, req_len);
        s->last_req_len = req_len;
        memcpy(s->last_rsp, rsp, *rsp_len);
        s->last_rsp_len = *rsp_len;
        s->have_last = true;
        s->last_ms = now;
    }
    return ret;
}

rune_status rune_smp_server_serve(rune_smp_server *s, rune_smp_transport *t, int timeout_ms,
                                  rune_error *err)
{
    size_t n = 0, out = 0;
    rune_status st = t->recv(t, s->rx, RUNE_SMP_MAX_MSG, &n, timeout_ms, err);
    if (st != RUNE_OK) return st;
    rune_error herr;
    rune_error_clear(&herr);
    /* answers no larger than the link carries: a handler that writes more gets EMSGSIZE */
    size_t cap = t->mtu && t->mtu < RUNE_SMP_MAX_MSG ? t->mtu : RUNE_SMP_MAX_MSG;
    rune_status hst = rune_smp_server_handle(s, s->rx, n, s->tx, cap, &out, &herr);
    if (out > 0) {
        st = t->send(t, s->tx, out, err);
        if (st != RUNE_OK) return st;
    }
    if (hst != RUNE_OK && err) *err = herr;
    return hst;
}

rune_status rune_smp_server_serve_any(rune_smp_server *s, rune_smp_transport *const *ts, size_t n,
                                      int timeout_ms, size_t *served, rune_error *err)
{
    enum { MAX_T = 16, PER_ROUND = 16 };
    if (served) *served = 0;
    if (n > MAX_T) return RUNE_ERR(err, RUNE_E_ARG, "smp server: more than %d transports", MAX_T);
    struct pollfd pfd[MAX_T];
    int wait = timeout_ms < 0 ? 0 : timeout_ms;
    for (size_t i = 0; i < n; i++) {
        bool buffered = false;
        pfd[i].fd = ts[i]->pollfd ? ts[i]->pollfd(ts[i], &buffered) : -1;
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
        if (buffered) wait = 0;
        if (!ts[i]->pollfd && wait > 10) wait = 10;
    }
    if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR)
        return RUNE_ERR(err, RUNE_E_IO, "smp server: poll: %s", strerror(errno));
    rune_status ret = RUNE_OK;
    for (size_t i = 0; i < n; i++) {
        bool buffered = false;
        if (ts[i]->pollfd) ts[i]->pollfd(ts[i], &buffered);
        if (pfd[i].fd >= 0 && !pfd[i].revents && !buffered) continue;
        for (int k = 0; k < PER_ROUND; k++) {
            rune_error e;
            rune_status st = rune_smp_server_serve(s, ts[i], 0, &e);
            if (st == RUNE_E_TIMEOUT) break;
            if (st == RUNE_E_IO) {
                if (ret == RUNE_OK)
                    ret = RUNE_ERR(err, RUNE_E_IO, "smp server: transport %s: %s", ts[i]->name,
                                   e.msg);
                break;
            }
            if (served && st == RUNE_OK) (*served)++;
        }
    }
    return ret;
}

/* ---- OS handlers ---- */

static int os_echo(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    const char *p;
    size_t len;
    rune_error e;
    rune_status st = rune_cbor_get_text(&req->msg->doc, 0, "d", &p, &len, &e);
    if (st != RUNE_OK) {
        smp_strcat2(req->rsn, sizeof req->rsn, "echo: ", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    rune_cbor_put_textz(rsp, "r");
    rune_cbor_put_text(rsp, p, len);
    return RUNE_SMP_ERR_OK;
}

static int os_params(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    const rune_smp_server *s = ud;
    rune_cbor_put_textz(rsp, "buf_size");
    rune_cbor_put_uint(rsp, s->mtu);
    rune_cbor_put_textz(rsp, "buf_count");
    rune_cbor_put_uint(rsp, 1);
    return RUNE_SMP_ERR_OK;
}

/* OS/application info: the "format" letters of uname(1) (s n r v m p i o, a = all, default s),
 * answered from uname(2); b (build) is librune's build date; o is "RunicOS". */
static int os_info(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    char fmt[16] = "s";
    rune_error e;
    rune_status st = rune_cbor_get_textz(&req->msg->doc, 0, "format", fmt, sizeof fmt, &e);
    if (st != RUNE_OK && st != RUNE_E_NOT_FOUND) {
        smp_strcat2(req->rsn, sizeof req->rsn, "info: ", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    if (strcmp(fmt, "a") == 0) strcpy(fmt, "snrvbmpio");
    struct utsname u;
    if (uname(&u) != 0) return RUNE_SMP_ERR_UNKNOWN;
    char out[sizeof u * 2];
    size_t n = 0;
    for (const char *f = fmt; *f; f++) {
        const char *v;
        switch (*f) {
        case 's': v = u.sysname; break;
        case 'n': v = u.nodename; break;
        case 'r': v = u.release; break;
        case 'v': v = u.version; break;
        case 'b': v = __DATE__ " " __TIME__; break;
        case 'm':
        case 'p':
        case 'i': v = u.machine; break;
        case 'o': v = "RunicOS"; break;
        default:
            snprintf(req->rsn, sizeof req->rsn, "info: unknown format letter '%c'", *f);
            return RUNE_SMP_ERR_INVAL;
        }
        size_t vl = strlen(v);
        if (n + vl + 2 > sizeof out) break;
        if (n) out[n++] = ' ';
        memcpy(out + n, v, vl);
        n += vl;
    }
    rune_cbor_put_textz(rsp, "output");
    rune_cbor_put_text(rsp, out, n);
    return RUNE_SMP_ERR_OK;
}

rune_status rune_smp_server_register_os(rune_smp_server *s, size_t mtu, rune_error *err)
{
    rune_status st;
    s->mtu = mtu;
    if ((st = rune_smp_server_register(s, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_ECHO, RUNE_SMP_OP_WRITE,
                                       os_echo, s, err)) != RUNE_OK)
        return st;
    if ((st = rune_smp_server_register(s, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_ECHO, RUNE_SMP_OP_READ,
                                       os_echo, s, err)) != RUNE_OK)
        return st;
    if ((st = rune_smp_server_register(s, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_INFO, RUNE_SMP_OP_READ,
                                       os_info, s, err)) != RUNE_OK)
        return st;
    return rune_smp_server_register(s, RUNE_SMP_GROUP_OS, RUNE_SMP_OS_PARAMS, RUNE_SMP_OP_READ,
                                    os_params, s, err);
}

/* ---- RUNE group: framing negotiation ---- */

static int rune_framing(void *ud, rune_smp_request *req, rune_cbor_enc *rsp)
{
    size_t mtu = (size_t)(uintptr_t)ud;
    char name[16];
    rune_error e;
    rune_status st = rune_cbor_get_textz(&req->msg->doc, 0, "framing", name, sizeof name, &e);
    if (st != RUNE_OK) {
        smp_strcat2(req->rsn, sizeof req->rsn, "framing: ", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    if (strcmp(name, "bin1") != 0) {
        smp_strcat2(req->rsn, sizeof req->rsn, "framing: only \"bin1\" is known, not ", name);
        return RUNE_SMP_ERR_NOTSUP;
    }
    uint64_t want = 0;
    st = rune_cbor_get_uint(&req->msg->doc, 0, "mtu", &want, &e);
    if (st == RUNE_E_INVALID) {
        smp_strcat2(req->rsn, sizeof req->rsn, "framing: ", e.msg);
        return RUNE_SMP_ERR_INVAL;
    }
    rune_cbor_put_textz(rsp, "framing");
    rune_cbor_put_textz(rsp, "bin1");
    rune_cbor_put_textz(rsp, "mtu");
    rune_cbor_put_uint(rsp, want && want < mtu ? want : mtu);
    return RUNE_SMP_ERR_OK;
}

rune_status rune_smp_server_register_framing(rune_smp_server *s, size_t mtu, rune_error *err)
{
    if (mtu < RUNE_SMP_HDR_LEN + 16 || mtu > RUNE_SMP_SERIAL_BIN_MTU)
        return RUNE_ERR(err, RUNE_E_ARG, "smp server: binary framing mtu %zu out of range", mtu);
    return rune_smp_server_register(s, RUNE_SMP_GROUP_RUNE, RUNE_SMP_RUNE_FRAMING,
                                    RUNE_SMP_OP_WRITE, rune_framing, (void *)(uintptr_t)mtu, err);
}

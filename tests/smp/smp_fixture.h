/*
 * smp_fixture.h - a test device for the transport tests: an SMP server with the OS handlers and an
 * image receiver writing to memory, served from a thread; a lossy transport wrapper that drops
 * requests or answers on demand; and the upload scenario both transports run.
 */
#ifndef SMP_FIXTURE_H
#define SMP_FIXTURE_H

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/utsname.h>

#include "rune/alloc.h"
#include "rune/smp.h"
#include "test.h"

typedef struct mem_sink {
    pthread_mutex_t mu; /* the device thread writes, the test reads */
    uint8_t *buf;
    size_t len, written;
    int begins, finishes, bad_writes;
    bool match;
} mem_sink;

static inline int fx_begin(void *ud, uint32_t image, size_t len, const uint8_t sha[32])
{
    mem_sink *m = ud;
    pthread_mutex_lock(&m->mu);
    free(m->buf);
    m->buf = malloc(len ? len : 1);
    m->len = len;
    m->written = 0;
    m->begins++;
    int rc = m->buf ? 0 : RUNE_SMP_ERR_NOMEM;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static inline int fx_write(void *ud, size_t off, const uint8_t *data, size_t len)
{
    mem_sink *m = ud;
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    if (off != m->written || off + len > m->len) {
        m->bad_writes++;
        rc = RUNE_SMP_ERR_UNKNOWN;
    } else {
        memcpy(m->buf + off, data, len);
        m->written += len;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static inline int fx_finish(void *ud, bool match)
{
    mem_sink *m = ud;
    pthread_mutex_lock(&m->mu);
    m->finishes++;
    m->match = match;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

typedef struct test_dev {
    rune_smp_server *srv;
    rune_smp_transport *t;
    mem_sink sink;
    rune_smp_img_recv recv;
    atomic_int stop;
    atomic_long served;
    pthread_t th;
} test_dev;

static inline void *dev_loop(void *p)
{
    test_dev *d = p;
    while (!atomic_load(&d->stop)) {
        rune_error err;
        if (rune_smp_server_serve(d->srv, d->t, 20, &err) == RUNE_OK)
            atomic_fetch_add(&d->served, 1);
    }
    return NULL;
}

/* Start a device serving on t (taken over: closed by dev_stop); its params report buf_size;
 * framing: it answers the RUNE group's framing command (binary frames up to 4 KB). */
static inline void dev_start_opts(test_dev *d, rune_smp_transport *t, size_t buf_size, bool framing)
{
    memset(d, 0, sizeof *d);
    rune_error err;
    d->t = t;
    pthread_mutex_init(&d->sink.mu, NULL);
    CHECK_OK(rune_smp_server_create(&d->srv, &err), &err);
    CHECK_OK(rune_smp_server_register_os(d->srv, buf_size, &err), &err);
    rune_smp_img_sink sink = {fx_begin, fx_write, fx_finish, &d->sink};
    rune_smp_img_recv_init(&d->recv, &sink, 16 << 20);
    CHECK_OK(rune_smp_img_recv_register(&d->recv, d->srv, &err), &err);
    if (framing)
        CHECK_OK(rune_smp_server_register_framing(d->srv, RUNE_SMP_SERIAL_BIN_MTU, &err), &err);
    pthread_create(&d->th, NULL, dev_loop, d);
}

static inline void dev_start_buf(test_dev *d, rune_smp_transport *t, size_t buf_size)
{
    dev_start_opts(d, t, buf_size, false);
}

static inline void dev_start(test_dev *d, rune_smp_transport *t)
{
    dev_start_buf(d, t, t->mtu);
}

static inline void dev_stop(test_dev *d)
{
    atomic_store(&d->stop, 1);
    pthread_join(d->th, NULL);
    rune_smp_server_destroy(d->srv);
    rune_smp_transport_close(d->t);
    free(d->sink.buf);
    pthread_mutex_destroy(&d->sink.mu);
}

/* ---- lossy wrapper ---- */

typedef struct lossy {
    rune_smp_transport base;
    rune_smp_transport *inner;
    atomic_int drop_sends; /* requests to swallow */
    atomic_int drop_recvs; /* answers to swallow */
    atomic_int dup_sends;  /* requests to send twice */
    uint8_t last[8192];    /* the previous request, to count exact repeats (retries) */
    size_t last_len;
    int repeats;
} lossy;

static inline rune_status lossy_send(rune_smp_transport *t, const uint8_t *msg, size_t len,
                                     rune_error *err)
{
    lossy *l = (lossy *)t;
    if (len == l->last_len && memcmp(msg, l->last, len) == 0) l->repeats++;
    if (len <= sizeof l->last) {
        memcpy(l->last, msg, len);
        l->last_len = len;
    }
    if (atomic_load(&l->drop_sends) > 0) {
        atomic_fetch_sub(&l->drop_sends, 1);
        return RUNE_OK;
    }
    if (atomic_load(&l->dup_sends) > 0) {
        atomic_fetch_sub(&l->dup_sends, 1);
        rune_status st = l->inner->send(l->inner, msg, len, err);
        if (st != RUNE_OK) return st;
    }
    return l->inner->send(l->inner, msg, len, err);
}

static inline rune_status lossy_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                                     int timeout_ms, rune_error *err)
{
    lossy *l = (lossy *)t;
    for (;;) {
        rune_status st = l->inner->recv(l->inner, buf, cap, len, timeout_ms, err);
        if (st != RUNE_OK || atomic_load(&l->drop_recvs) <= 0) return st;
        atomic_fetch_sub(&l->drop_recvs, 1);
    }
}

static inline rune_status lossy_set_framing(rune_smp_transport *t, int framing, size_t mtu,
                                            rune_error *err)
{
    lossy *l = (lossy *)t;
    rune_status st = rune_smp_serial_framing(l->inner, framing, mtu, err);
    l->base.mtu = l->inner->mtu;
    return st;
}

static inline void lossy_wrap(lossy *l, rune_smp_transport *inner)
{
    memset(l, 0, sizeof *l);
    l->inner = inner;
    l->base.name = inner->name;
    l->base.mtu = inner->mtu;
    l->base.rate = inner->rate;
    l->base.send = lossy_send;
    l->base.recv = lossy_recv;
    if (inner->set_framing) l->base.set_framing = lossy_set_framing;
}

/* ---- in-process transport: a send runs the server, the next recv returns its answer ---- */

typedef struct direct {
    rune_smp_transport base;
    rune_smp_server *srv;
    uint8_t rsp[RUNE_SMP_MAX_MSG];
    size_t rsp_len;
} direct;

static inline rune_status direct_send(rune_smp_transport *t, const uint8_t *msg, size_t len,
                                      rune_error *err)
{
    direct *d = (direct *)t;
    rune_error herr;
    rune_smp_server_handle(d->srv, msg, len, d->rsp, d->base.mtu, &d->rsp_len, &herr);
    return RUNE_OK;
}

static inline rune_status direct_recv(rune_smp_transport *t, uint8_t *buf, size_t cap, size_t *len,
                                      int timeout_ms, rune_error *err)
{
    direct *d = (direct *)t;
    if (!d->rsp_len) return RUNE_ERR(err, RUNE_E_TIMEOUT, "no answer");
    memcpy(buf, d->rsp, d->rsp_len);
    *len = d->rsp_len;
    d->rsp_len = 0;
    return RUNE_OK;
}

static inline void direct_init(direct *d, rune_smp_server *srv, size_t mtu)
{
    memset(d, 0, sizeof *d);
    d->srv = srv;
    d->base.name = "direct";
    d->base.mtu = mtu;
    d->base.send = direct_send;
    d->base.recv = direct_recv;
}

/* ---- scenarios ---- */

static inline void scenario_echo(rune_smp_client *c)
{
    rune_error err;
    char out[64];
    CHECK_OK(rune_smp_echo(c, "hello, device", out, sizeof out, &err), &err);
    CHECK_STR(out, "hello, device");
    uint64_t bs = 0, bc = 0;
    CHECK_OK(rune_smp_params(c, &bs, &bc, &err), &err);
    CHECK_EQ_INT(bs, c->t->mtu);
    CHECK_EQ_INT(bc, 1);
    /* a command the device does not have: rc ENOTSUP as UNSUPPORTED */
    rune_smp_image_slot slots[2];
    size_t n = 0;
    CHECK_STATUS(rune_smp_image_state(c, NULL, 0, false, slots, 2, &n, &err), RUNE_E_UNSUPPORTED);
    CHECK_EQ_INT(err.code, RUNE_SMP_ERR_NOTSUP);
    CHECK_CONTAINS(err.msg, "ENOTSUP");
    /* OS info from uname */
    struct utsname un;
    CHECK(uname(&un) == 0);
    char info[600], want[600];
    snprintf(want, sizeof want, "%s %s", un.sysname, un.machine);
    CHECK_OK(rune_smp_os_info(c, "sm", info, sizeof info, &err), &err);
    CHECK_STR(info, want);
    CHECK_OK(rune_smp_os_info(c, NULL, info, sizeof info, &err), &err);
    CHECK_STR(info, un.sysname);
    CHECK_OK(rune_smp_os_info(c, "a", info, sizeof info, &err), &err);
    CHECK_CONTAINS(info, "RunicOS");
    CHECK_STATUS(rune_smp_os_info(c, "sx", info, sizeof info, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "unknown format letter 'x'");
    /* v1 requests work as well */
    c->version = RUNE_SMP_V1;
    CHECK_OK(rune_smp_echo(c, "v1", out, sizeof out, &err), &err);
    CHECK_STR(out, "v1");
    CHECK_STATUS(rune_smp_reset(c, &err), RUNE_E_UNSUPPORTED);
    c->version = RUNE_SMP_V2;
}

/* Upload img stop-and-wait (window 1): a dropped answer (retried with the same seq), a duplicated
 * request, then an outage longer than the retries (the step fails), then a resume that goes on
 * from the device's offset. */
static inline void scenario_upload(test_dev *d, rune_smp_client *c, lossy *l, const uint8_t *img,
                                   size_t len)
{
    rune_error err;
    rune_smp_upload u;
    CHECK_OK(rune_smp_upload_begin(&u, c, img, len, 0, &err), &err);
    CHECK(u.chunk + 93 == c->t->mtu);
    CHECK(u.window >= 2); /* pipelined unless told otherwise */
    u.window = 1;
    size_t chunks = (len + u.chunk - 1) / u.chunk;
    rune_status st = RUNE_OK;
    bool broke = false;
    while (!u.done) {
        if (u.n_requests == 4) CHECK_EQ_INT(l->repeats, 1); /* the retry repeated seq and bytes */
        if (u.n_requests == 3) atomic_store(&l->drop_recvs, 1);
        if (u.n_requests == 5) atomic_store(&l->dup_sends, 1);
        if (!broke && u.off >= len / 3) {
            atomic_store(&l->drop_sends, 100); /* the link goes away */
            st = rune_smp_upload_step(&u, c, &err);
            CHECK_STATUS(st, RUNE_E_TIMEOUT);
            CHECK_CONTAINS(err.msg, "upload at offset");
            CHECK(!u.synced);
            atomic_store(&l->drop_sends, 0); /* and comes back */
            broke = true;
            continue;
        }
        st = rune_smp_upload_step(&u, c, &err);
        CHECK_OK(st, &err);
        if (st != RUNE_OK) break;
    }
    CHECK(broke);
    CHECK(u.done && u.match);
    CHECK_EQ_INT(u.off, len);
    CHECK_EQ_INT(u.n_resyncs, 1);
    CHECK(c->n_retries >= 1);
    /* one request per chunk, plus the failed one and the resync */
    CHECK(u.n_requests <= chunks + 2);
    pthread_mutex_lock(&d->sink.mu);
    CHECK_EQ_INT(d->sink.begins, 1);
    CHECK_EQ_INT(d->sink.finishes, 1);
    CHECK_EQ_INT(d->sink.bad_writes, 0);
    CHECK(d->sink.match);
    CHECK(d->sink.len == len && memcmp(d->sink.buf, img, len) == 0);
    pthread_mutex_unlock(&d->sink.mu);
}

/* Upload img pipelined (the window begin chose): a request lost on the way (the answers to the
 * chunks after it send the client back: a rewind), an answer lost (the next one covers it), a
 * duplicated request, then an outage (a step fails with TIMEOUT) and a resume. The device must
 * end up with exactly img, written strictly in order, begun once and finished once. */
static inline void scenario_upload_pipelined(test_dev *d, rune_smp_client *c, lossy *l,
                                             const uint8_t *img, size_t len)
{
    rune_error err;
    rune_smp_upload u;
    pthread_mutex_lock(&d->sink.mu);
    int begins = d->sink.begins, finishes = d->sink.finishes;
    pthread_mutex_unlock(&d->sink.mu);
    CHECK_OK(rune_smp_upload_begin(&u, c, img, len, 0, &err), &err);
    CHECK(u.window >= 2 && u.window <= RUNE_SMP_UPLOAD_MAX_WINDOW);
    size_t chunks = (len + u.chunk - 1) / u.chunk;
    CHECK(chunks > 3 * (size_t)u.window + 8);
    rune_status st = RUNE_OK;
    bool lost = false, answer = false, dup = false, broke = false;
    int steps = 0;
    while (!u.done && steps++ < 10 * (int)chunks) {
        if (!lost && u.n_requests >= 3) {
            atomic_store(&l->drop_sends, 1); /* the next chunk never arrives */
            lost = true;
        } else if (lost && !answer && u.off >= len / 4) {
            atomic_store(&l->drop_recvs, 1);
            answer = true;
        } else if (answer && !dup && u.off >= len / 3) {
            atomic_store(&l->dup_sends, 1);
            dup = true;
        }
        if (dup && !broke && u.off >= len / 2) {
            atomic_store(&l->drop_sends, 1000); /* the link goes away */
            int n = 0;
            do { /* answers to chunks sent before the outage may still come */
                st = rune_smp_upload_step(&u, c, &err);
            } while (st == RUNE_OK && !u.done && ++n < 2 * RUNE_SMP_UPLOAD_MAX_WINDOW);
            CHECK_STATUS(st, RUNE_E_TIMEOUT);
            CHECK_CONTAINS(err.msg, "no answer");
            CHECK(!u.synced && u.nfly == 0);
            atomic_store(&l->drop_sends, 0); /* and comes back */
            broke = true;
            continue;
        }
        st = rune_smp_upload_step(&u, c, &err);
        CHECK_OK(st, &err);
        if (st != RUNE_OK) break;
    }
    CHECK(lost && answer && dup && broke);
    CHECK(u.done && u.match);
    CHECK_EQ_INT(u.off, len);
    CHECK(u.n_rewinds >= 1); /* the lost request */
    CHECK_EQ_INT(u.n_resyncs, 1);
    /* a chunk a request, plus what went stale behind the lost one and the outage */
    CHECK(u.n_requests <= chunks + 4 * (size_t)u.window + 4);
    pthread_mutex_lock(&d->sink.mu);
    CHECK_EQ_INT(d->sink.begins, begins + 1);
    CHECK_EQ_INT(d->sink.finishes, finishes + 1);
    CHECK_EQ_INT(d->sink.bad_writes, 0);
    CHECK(d->sink.match);
    CHECK(d->sink.len == len && memcmp(d->sink.buf, img, len) == 0);
    pthread_mutex_unlock(&d->sink.mu);
}

/* The real payload of the upload tests: a 300 KB TFLite model from the shared models. */
static inline uint8_t *person_model(size_t *len)
{
    uint8_t *img = test_read_file(SHARED("models/person_detect.tflite"), len);
    CHECK_MSG_(img != NULL, "cannot read %s", SHARED("models/person_detect.tflite"));
    return img;
}

#endif

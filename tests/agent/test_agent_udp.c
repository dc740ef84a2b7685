/*
 * Agent over UDP loopback, driven by the SMP client like hmr drives it: cast a rune, see it
 * verified, running and confirmed, read its metrics, logs and Prometheus text; refusals (a
 * capability the device lacks, an unsigned rune where signatures are required, a damaged image)
 * leave the running rune untouched; a rune that traps on every call is rolled back by itself;
 * uploads resume after a broken link and after an agent restart; manual rollback, stop and start.
 */
#include "agent_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "rune/saga.h"
#include "rune/sign.h"

#include <sodium.h>

static long live_at_start;

typedef struct slots {
    rune_smp_image_slot s[4];
    size_t n;
} slots;

static rune_status get_slots(fx_cli *c, slots *sl, rune_error *err)
{
    return rune_smp_image_state(&c->c, NULL, 0, false, sl->s, 4, &sl->n, err);
}

typedef struct mstats {
    int n;
    rune_saga_stats st;
} mstats;

static void metrics_cb(void *ud, const rune_saga_stats *st)
{
    mstats *m = ud;
    m->st = *st;
    m->n++;
}

static rune_status get_metrics(fx_cli *c, mstats *m, rune_error *err)
{
    memset(m, 0, sizeof *m);
    rune_status st = rune_smp_rune_cmd(&c->c, RUNE_SMP_RUNE_METRICS, NULL, err);
    uint64_t up = 0;
    if (st == RUNE_OK) st = rune_saga_metrics_parse(&c->c.rsp->doc, &up, metrics_cb, m, err);
    return st;
}

typedef struct logbuf {
    char text[8192];
    size_t n;
    int outs;
} logbuf;

static void log_cb(void *ud, const rune_smp_log_entry *e)
{
    logbuf *b = ud;
    if (e->msg_len == 16 && memcmp(e->msg, "out: {\"ok\":true}", 16) == 0) { /* the rune's */
        b->outs++;
        return;
    }
    int w = snprintf(b->text + b->n, sizeof b->text - b->n, "%.*s\n", (int)e->msg_len, e->msg);
    if (w > 0 && (size_t)w < sizeof b->text - b->n) b->n += (size_t)w;
}

static void get_logs(fx_cli *c, logbuf *b)
{
    memset(b, 0, sizeof *b);
    uint64_t since = 0, next = 0, dropped = 0;
    rune_error err;
    for (int i = 0; i < 20; i++) {
        if (rune_smp_rune_logs(&c->c, since, 32, NULL, log_cb, b, &next, &dropped, &err) !=
                RUNE_OK ||
            next == since)
            break;
        since = next;
    }
}

/* One HTTP/1.0 request to 127.0.0.1:port; the whole answer into out. */
static void http_get(uint16_t port, const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) close(fd);
        return;
    }
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
    if (send(fd, req, (size_t)n, 0) == n) {
        size_t got = 0;
        ssize_t r;
        while (got < cap - 1 && (r = recv(fd, out + got, cap - 1 - got, 0)) > 0)
            got += (size_t)r;
        out[got] = '\0';
    }
    close(fd);
}

static bool wait_confirmed(fx_cli *c, int timeout_ms)
{
    slots sl;
    rune_error err;
    for (int t = 0; t < timeout_ms; t += 20) {
        if (get_slots(c, &sl, &err) == RUNE_OK && sl.n >= 1 && sl.s[0].active && sl.s[0].confirmed)
            return true;
        fx_sleep_ms(20);
    }
    return false;
}

TEST(cast_verify_run_metrics_refuse_and_roll_back)
{
    fx_dev d;
    fx_dev_init(&d, "dev-udp");
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    rune_error err;

    fx_status s;
    CHECK_OK(fx_get_status(&c, &s, &err), &err);
    CHECK_EQ_INT(s.n, 0);
    char info[128];
    CHECK_OK(rune_smp_os_info(&c.c, "n", info, sizeof info, &err), &err);
    CHECK_STR(info, "dev-udp");

    /* cast: verified, installed on probation, running, confirmed after 3 good calls */
    size_t len1 = 0;
    uint8_t *v1 = fx_hostile("1.0.0", &len1);
    CHECK_OK(fx_upload(&c, v1, len1, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));
    CHECK(wait_confirmed(&c, 2000));
    slots sl;
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK_EQ_INT(sl.n, 1);
    CHECK_STR(sl.s[0].version, "1.0.0");
    uint8_t sha[32];
    crypto_hash_sha256(sha, v1, len1);
    CHECK(sl.s[0].hash_len == 32 && memcmp(sl.s[0].hash, sha, 32) == 0);

    /* metrics reflect the calls the rune made and its capability reads */
    fx_sleep_ms(100);
    mstats m;
    CHECK_OK(get_metrics(&c, &m, &err), &err);
    CHECK_EQ_INT(m.n, 1);
    CHECK_STR(m.st.name, "hostile");
    CHECK(m.st.inferences >= 3);
    CHECK(m.st.cap_reads >= m.st.inferences);
    CHECK_EQ_INT(m.st.traps, 0);
    CHECK(m.st.lat_count == m.st.inferences && m.st.p50 <= m.st.p99 && m.st.p99 <= m.st.lat_max);
    CHECK(m.st.mem_bytes >= 65536);

    /* the rune's SERIAL output and the install are in the log ring */
    logbuf lb;
    get_logs(&c, &lb);
    CHECK_CONTAINS(lb.text, "hostile 1.0.0");
    CHECK_CONTAINS(lb.text, "on probation");
    CHECK(lb.outs >= 3); /* the rune's SERIAL output lines */

    /* Prometheus text, paged */
    char prom[16384];
    size_t pn = 0;
    uint64_t off = 0, total = 1;
    while (off < total && pn < sizeof prom - 1) {
        rune_cbor_enc e;
        uint8_t body[16];
        rune_cbor_enc_init(&e, body, sizeof body);
        rune_cbor_put_map(&e, 1);
        rune_cbor_put_textz(&e, "off");
        rune_cbor_put_uint(&e, off);
        rune_status st = rune_smp_client_request(&c.c, RUNE_SMP_OP_READ, RUNE_SMP_GROUP_RUNE,
                                                 RUNE_AGENT_SMP_PROMETHEUS, body, e.len, &err);
        CHECK_OK(st, &err);
        if (st != RUNE_OK) break;
        const char *t = NULL;
        size_t tl = 0;
        uint64_t next = 0;
        CHECK_OK(rune_cbor_get_text(&c.c.rsp->doc, 0, "text", &t, &tl, &err), &err);
        CHECK_OK(rune_cbor_get_uint(&c.c.rsp->doc, 0, "off", &next, &err), &err);
        CHECK_OK(rune_cbor_get_uint(&c.c.rsp->doc, 0, "len", &total, &err), &err);
        if (next <= off || tl > sizeof prom - 1 - pn) break;
        memcpy(prom + pn, t, tl);
        pn += tl;
        off = next;
    }
    prom[pn] = '\0';
    CHECK_EQ_INT(pn, total);
    CHECK_CONTAINS(prom, "rune_inferences_total{rune=\"hostile\"}");

    /* the same text over HTTP on loopback (runicosd --metrics-port) */
    static char http[32768];
    uint16_t mport = rune_agent_metrics_port(srv.a);
    CHECK(mport != 0);
    http_get(mport, "/metrics", http, sizeof http);
    CHECK_CONTAINS(http, "HTTP/1.0 200 OK");
    CHECK_CONTAINS(http, "text/plain; version=0.0.4");
    CHECK_CONTAINS(http, "rune_inferences_total{rune=\"hostile\"}");
    http_get(mport, "/", http, sizeof http);
    CHECK_CONTAINS(http, "404");

    /* capabilities of the device */
    CHECK_OK(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_CAPS, NULL, &err), &err);

    /* a rune that needs IMAGE is refused before anything is replaced */
    size_t lenimg = 0;
    static const char *const img_args[] = {"width", "96", "height", "96", NULL};
    uint8_t *img = fx_rune("good", "camera", "1.0.0", "IMAGE", img_args, &lenimg);
    rune_status st = fx_upload(&c, img, lenimg, &err);
    CHECK_STATUS(st, RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "rune needs IMAGE, this device offers RAND, RAW");
    CHECK(fx_wait_state(&c, "hostile", "running", 500));
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK_EQ_INT(sl.n, 1);

    /* a damaged rune (valid SHA-256 of damaged bytes) is refused as a container */
    uint8_t *bad = malloc(len1);
    memcpy(bad, v1, len1);
    bad[0] = 'X';
    st = fx_upload(&c, bad, len1, &err);
    CHECK_STATUS(st, RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "rune rejected");
    free(bad);

    /* a rune that traps on every call: rolled back to hostile automatically */
    size_t lent = 0;
    uint8_t *trap = fx_rune("trap", "trapper", "2.0.0", NULL, NULL, &lent);
    CHECK_OK(fx_upload(&c, trap, lent, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 3000));
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK_EQ_INT(sl.n, 2);
    if (sl.n == 2) {
        CHECK(sl.s[0].active && sl.s[0].confirmed && memcmp(sl.s[0].hash, sha, 32) == 0);
        CHECK_STR(sl.s[1].version, "2.0.0");
        CHECK(!sl.s[1].bootable);
    }
    get_logs(&c, &lb);
    CHECK_CONTAINS(lb.text, "rollback: trapper 2.0.0 failed its probation");
    CHECK_CONTAINS(lb.text, "unreachable");
    /* casting the same failed rune again installs it again (and it is rolled back again) */
    CHECK_OK(fx_upload(&c, trap, lent, &err), &err);
    int rollbacks = 0;
    for (int t = 0; t < 150 && rollbacks < 2; t++) {
        fx_sleep_ms(20);
        get_logs(&c, &lb);
        rollbacks = 0;
        for (const char *p = lb.text; (p = strstr(p, "rollback: trapper")) != NULL; p++)
            rollbacks++;
    }
    CHECK_EQ_INT(rollbacks, 2);
    CHECK(fx_wait_state(&c, "hostile", "running", 1000));

    /* a second version, then a manual rollback with image state confirm of the previous hash */
    size_t len2 = 0;
    uint8_t *v2 = fx_hostile("2.0.0", &len2);
    CHECK_OK(fx_upload(&c, v2, len2, &err), &err);
    CHECK(wait_confirmed(&c, 2000));
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK(sl.n == 2 && strcmp(sl.s[0].version, "2.0.0") == 0 && sl.s[1].bootable);
    rune_smp_image_slot out[4];
    size_t nout = 0;
    CHECK_OK(rune_smp_image_state(&c.c, sha, 32, true, out, 4, &nout, &err), &err);
    CHECK(nout == 2 && strcmp(out[0].version, "1.0.0") == 0 && out[0].confirmed);
    uint8_t zero[32] = {0};
    CHECK_STATUS(rune_smp_image_state(&c.c, zero, 32, true, out, 4, &nout, &err), RUNE_E_NOT_FOUND);

    /* stop and start */
    CHECK_OK(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_STOP, "hostile", &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "stopped", 500));
    CHECK_OK(get_metrics(&c, &m, &err), &err);
    uint64_t before = m.st.inferences;
    fx_sleep_ms(100);
    CHECK_OK(get_metrics(&c, &m, &err), &err);
    CHECK_EQ_INT(m.st.inferences, before);
    CHECK_STATUS(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_START, "nosuch", &err), RUNE_E_NOT_FOUND);
    CHECK_OK(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_START, "hostile", &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 500));

    /* hostile datagrams do not hurt it */
    uint8_t junk[64];
    for (int i = 0; i < 200; i++) {
        for (size_t k = 0; k < sizeof junk; k++)
            junk[k] = (uint8_t)(rand() & 0xff);
        if (i % 2 == 0) { /* a valid header over a random body */
            rune_smp_hdr h = {RUNE_SMP_OP_WRITE,
                              RUNE_SMP_V2,
                              0,
                              sizeof junk - 8,
                              (uint16_t)(i % 3 == 0 ? 1 : 64),
                              (uint8_t)i,
                              (uint8_t)(i % 7)};
            rune_smp_hdr_encode(&h, junk);
        }
        c.t->send(c.t, junk, (size_t)(1 + rand() % (int)sizeof junk), &err);
    }
    fx_sleep_ms(50);
    char echo[32];
    CHECK_OK(rune_smp_echo(&c.c, "still here", echo, sizeof echo, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 1000));

    rune_free(v1);
    rune_free(v2);
    rune_free(img);
    rune_free(trap);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

TEST(unsigned_refused_when_the_policy_requires_signatures)
{
    fx_dev d;
    fx_dev_init(&d, "dev-signed");
    rune_sign_key key;
    rune_error err;
    CHECK_OK(rune_sign_keygen(&key, &err), &err);
    snprintf(d.prof.trusted_keys[0], sizeof d.prof.trusted_keys[0], "%s/dev.pub", d.dir);
    CHECK_OK(rune_sign_key_save(d.prof.trusted_keys[0], &key, 0, &err), &err);
    d.prof.ntrusted_keys = 1;
    d.prof.require_signature = true;
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;

    size_t len = 0, slen = 0;
    uint8_t *r = fx_hostile("1.0.0", &len);
    CHECK_STATUS(fx_upload(&c, r, len, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "signature");
    CHECK_CONTAINS(err.msg, "requires");
    fx_status s;
    CHECK_OK(fx_get_status(&c, &s, &err), &err);
    CHECK_EQ_INT(s.n, 0);

    /* signed by another key: refused too */
    rune_sign_key other;
    uint8_t *signed_rune = NULL;
    CHECK_OK(rune_sign_keygen(&other, &err), &err);
    CHECK_OK(rune_sign_rune(r, len, &other, &signed_rune, &slen, &err), &err);
    CHECK_STATUS(fx_upload(&c, signed_rune, slen, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "not trusted");
    rune_free(signed_rune);

    CHECK_OK(rune_sign_rune(r, len, &key, &signed_rune, &slen, &err), &err);
    CHECK_OK(fx_upload(&c, signed_rune, slen, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));
    rune_free(signed_rune);
    rune_free(r);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

TEST(upload_resumes_after_a_broken_link_and_an_agent_restart)
{
    fx_dev d;
    fx_dev_init(&d, "dev-resume");
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    rune_error err;
    size_t len1 = 0, len2 = 0;
    uint8_t *v1 = fx_hostile("1.0.0", &len1);
    uint8_t *big = fx_rune_pad("hostile", "hostile", "3.0.0", "RAW", fx_raw_args, 40000, &len2);

    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    CHECK_OK(fx_upload(&c, v1, len1, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));

    /* a third of the big rune, then the link "breaks" (the client goes away) */
    rune_smp_upload u;
    CHECK_OK(rune_smp_upload_begin(&u, &c.c, big, len2, 0, &err), &err);
    while (u.off < len2 / 3)
        CHECK_OK(rune_smp_upload_step(&u, &c.c, &err), &err);
    size_t acked = u.off;
    fx_cli_close(&c);
    /* the old rune keeps running meanwhile */
    if (!fx_cli_open(&c, srv.port)) return;
    CHECK(fx_wait_state(&c, "hostile", "running", 500));
    fx_status s;
    CHECK_OK(fx_get_status(&c, &s, &err), &err);
    CHECK_STR(s.r.version, "1.0.0");

    /* a new client resumes from the acknowledged offset */
    rune_smp_upload u2;
    CHECK_OK(rune_smp_upload_begin(&u2, &c.c, big, len2, 0, &err), &err);
    CHECK_OK(rune_smp_upload_step(&u2, &c.c, &err), &err);
    CHECK(u2.off >= acked);
    while (u2.off < 2 * len2 / 3)
        CHECK_OK(rune_smp_upload_step(&u2, &c.c, &err), &err);
    acked = u2.off;
    fx_cli_close(&c);

    /* the agent restarts (as after a crash): the upload resumes from what is on disk */
    fx_srv_stop(&srv);
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    if (!fx_cli_open(&c, srv.port)) return;
    CHECK(fx_wait_state(&c, "hostile", "running", 1000));
    rune_smp_upload u3;
    CHECK_OK(rune_smp_upload_begin(&u3, &c.c, big, len2, 0, &err), &err);
    CHECK_OK(rune_smp_upload_step(&u3, &c.c, &err), &err);
    CHECK(u3.off >= acked);
    CHECK_OK(rune_smp_upload_run(&u3, &c.c, &err), &err);
    CHECK(u3.done && u3.match);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));
    CHECK_OK(fx_get_status(&c, &s, &err), &err);
    CHECK_STR(s.r.version, "3.0.0");

    rune_free(v1);
    rune_free(big);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

TEST(manual_confirm_test_and_reset)
{
    fx_dev d;
    fx_dev_init(&d, "dev-manual");
    d.prof.auto_confirm = false;
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    rune_error err;
    size_t l1 = 0, l2 = 0;
    uint8_t *v1 = fx_hostile("1.0.0", &l1), *v2 = fx_hostile("2.0.0", &l2);
    uint8_t h1[32];
    crypto_hash_sha256(h1, v1, l1);

    /* without auto_confirm a rune stays on probation however well it runs */
    CHECK_OK(fx_upload(&c, v1, l1, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 2000));
    fx_sleep_ms(150); /* 15 calls at 100 Hz, probation is 3 */
    slots sl;
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK(sl.n == 1 && sl.s[0].pending && !sl.s[0].confirmed);
    /* a test without a hash is refused; a confirm without one confirms the active rune */
    static const uint8_t test_nohash[] = {0xa1, 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf4};
    static const uint8_t confirm_nohash[] = {0xa1, 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf5};
    CHECK_STATUS(rune_smp_client_request(&c.c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_IMAGE,
                                         RUNE_SMP_IMAGE_STATE, test_nohash, sizeof test_nohash,
                                         &err),
                 RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "hash");
    CHECK_OK(rune_smp_client_request(&c.c, RUNE_SMP_OP_WRITE, RUNE_SMP_GROUP_IMAGE,
                                     RUNE_SMP_IMAGE_STATE, confirm_nohash, sizeof confirm_nohash,
                                     &err),
             &err);
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK(sl.n == 1 && sl.s[0].confirmed && !sl.s[0].pending);
    rune_smp_image_slot out[4];
    size_t n = 0;

    /* v2 on probation; "test" of v1's hash makes v1 the active rune on probation */
    CHECK_OK(fx_upload(&c, v2, l2, &err), &err);
    fx_status s;
    CHECK_OK(fx_get_status(&c, &s, &err), &err);
    CHECK_STR(s.r.version, "2.0.0");
    CHECK_OK(rune_smp_image_state(&c.c, h1, 32, false, out, 4, &n, &err), &err);
    CHECK(n == 2 && strcmp(out[0].version, "1.0.0") == 0 && out[0].pending);
    CHECK_STR(out[1].version, "2.0.0");

    /* OS reset: the agent starts again from its store, still on probation */
    CHECK_OK(rune_smp_reset(&c.c, &err), &err);
    CHECK(fx_wait_state(&c, "hostile", "running", 1000));
    CHECK_OK(get_slots(&c, &sl, &err), &err);
    CHECK(sl.n == 2 && strcmp(sl.s[0].version, "1.0.0") == 0 && sl.s[0].pending);
    logbuf lb;
    get_logs(&c, &lb);
    CHECK_CONTAINS(lb.text, "reset");
    CHECK_CONTAINS(lb.text, "test: switching to hostile 1.0.0");

    rune_free(v1);
    rune_free(v2);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

TEST(oversized_upload_refused_before_any_byte)
{
    fx_dev d;
    fx_dev_init(&d, "dev-small");
    d.prof.max_rune_bytes = 1000;
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    rune_error err;
    size_t len = 0;
    uint8_t *r = fx_hostile("1.0.0", &len); /* 1182 bytes */
    CHECK(len > 1000);
    CHECK_STATUS(fx_upload(&c, r, len, &err), RUNE_E_PROTOCOL);
    CHECK_CONTAINS(err.msg, "exceeds 1000");
    char part[256];
    snprintf(part, sizeof part, "%s/store/upload.part", d.dir);
    CHECK(access(part, F_OK) != 0);
    rune_free(r);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

int main(void)
{
    live_at_start = rune_alloc_live();
    RUN(cast_verify_run_metrics_refuse_and_roll_back);
    RUN(unsigned_refused_when_the_policy_requires_signatures);
    RUN(upload_resumes_after_a_broken_link_and_an_agent_restart);
    RUN(manual_confirm_test_and_reset);
    RUN(oversized_upload_refused_before_any_byte);
    test_current_ = "leaks";
    CHECK_EQ_INT(rune_alloc_live(), live_at_start);
    return test_report();
}

/*
 * test_smp_udp.c - SMP over UDP on loopback: a device thread serving OS and image-upload handlers,
 * a client doing echo/params/unsupported commands and an upload of a 300 KB model
 * (person_detect.tflite) through a lossy link (a lost answer, a duplicated request, an outage that
 * breaks the upload, then a resume), stop-and-wait and pipelined.
 */
#include <unistd.h>

#include "smp_fixture.h"

TEST(udp_loopback)
{
    rune_error err;
    long live = rune_alloc_live();
    rune_smp_transport *st = NULL, *ct = NULL;
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &st, &err), &err);
    if (!st) return;
    uint16_t port = rune_smp_udp_bound_port(st);
    CHECK(port != 0);
    test_dev d;
    dev_start(&d, st);
    CHECK_OK(rune_smp_udp_client("127.0.0.1", port, &ct, &err), &err);
    CHECK_EQ_INT(ct->mtu, RUNE_SMP_UDP_MTU);
    lossy l;
    lossy_wrap(&l, ct);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, &l.base, &err), &err);
    c.timeout_ms = 200;
    c.retries = 2;
    scenario_echo(&c);
    size_t len = 0;
    uint8_t *img = person_model(&len);
    if (img) scenario_upload(&d, &c, &l, img, len);
    /* the same model cut short (another image: the device starts a new session), pipelined */
    if (img) scenario_upload_pipelined(&d, &c, &l, img, len - 1000);
    free(img);
    rune_smp_client_free(&c);
    rune_smp_transport_close(ct);
    dev_stop(&d);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

/* A device whose buffer is smaller than the link's mtu: chunks follow the device. */
TEST(udp_small_device_buffer)
{
    rune_error err;
    rune_smp_transport *st = NULL, *ct = NULL;
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &st, &err), &err);
    if (!st) return;
    test_dev d;
    dev_start_buf(&d, st, 600);
    CHECK_OK(rune_smp_udp_client("127.0.0.1", rune_smp_udp_bound_port(st), &ct, &err), &err);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, ct, &err), &err);
    static uint8_t img[20000];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i ^ (i >> 8));
    rune_smp_upload u;
    CHECK_OK(rune_smp_upload_begin(&u, &c, img, sizeof img, 0, &err), &err);
    CHECK_EQ_INT(u.chunk, 600 - 93);
    CHECK_OK(rune_smp_upload_run(&u, &c, &err), &err);
    CHECK(u.done && u.match);
    CHECK_EQ_INT(u.n_requests, (sizeof img + u.chunk - 1) / u.chunk);
    pthread_mutex_lock(&d.sink.mu);
    CHECK(d.sink.len == sizeof img && memcmp(d.sink.buf, img, sizeof img) == 0);
    pthread_mutex_unlock(&d.sink.mu);
    rune_smp_client_free(&c);
    rune_smp_transport_close(ct);
    dev_stop(&d);
}

TEST(udp_errors)
{
    rune_error err;
    rune_smp_transport *t = NULL;
    CHECK_STATUS(rune_smp_udp_client("no-such-host.invalid", 1337, &t, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "cannot resolve");
    CHECK(t == NULL);
    /* nobody listening: the client times out after its tries */
    rune_smp_transport *srv = NULL;
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &srv, &err), &err);
    uint16_t port = rune_smp_udp_bound_port(srv);
    rune_smp_transport_close(srv); /* the port is now closed */
    CHECK_OK(rune_smp_udp_client("127.0.0.1", port, &t, &err), &err);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, t, &err), &err);
    c.timeout_ms = 50;
    c.retries = 1;
    char out[8];
    CHECK_STATUS(rune_smp_echo(&c, "x", out, sizeof out, &err), RUNE_E_TIMEOUT);
    CHECK_CONTAINS(err.msg, "after 2 tries");
    /* a request larger than the mtu is refused before sending */
    static uint8_t body[2000];
    CHECK_STATUS(rune_smp_client_request(&c, RUNE_SMP_OP_WRITE, 0, 0, body, sizeof body, &err),
                 RUNE_E_LIMIT);
    rune_smp_client_free(&c);
    rune_smp_transport_close(t);
    /* binding a port that is taken */
    rune_smp_transport *a = NULL, *b = NULL;
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &a, &err), &err);
    CHECK_STATUS(rune_smp_udp_server("127.0.0.1", rune_smp_udp_bound_port(a), &b, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "cannot bind");
    rune_smp_transport_close(a);
}

/* The same over IPv6 loopback (skipped, with a note, where the machine has no ::1). */
TEST(udp_ipv6)
{
    rune_error err;
    rune_smp_transport *st = NULL, *ct = NULL;
    if (rune_smp_udp_server("::1", 0, &st, &err) != RUNE_OK) {
        fprintf(stderr, "note: no IPv6 loopback here (%s); udp_ipv6 skipped\n", err.msg);
        return;
    }
    test_dev d;
    dev_start(&d, st);
    CHECK_OK(rune_smp_udp_client("::1", rune_smp_udp_bound_port(st), &ct, &err), &err);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, ct, &err), &err);
    char out[16];
    CHECK_OK(rune_smp_echo(&c, "over v6", out, sizeof out, &err), &err);
    CHECK_STR(out, "over v6");
    rune_smp_client_free(&c);
    rune_smp_transport_close(ct);
    dev_stop(&d);
}

/* Every allocation failure while setting up transports and clients is a clean NOMEM. */
TEST(allocation_failures)
{
    long live = rune_alloc_live();
    rune_error err;
    int nomem = 0;
    for (long k = 0; k < 8; k++) {
        rune_smp_transport *t = NULL;
        rune_alloc_fail_after(k);
        rune_status st = rune_smp_udp_server("127.0.0.1", 0, &t, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            rune_smp_client c;
            rune_alloc_fail_after(k);
            rune_status cst = rune_smp_client_init(&c, t, &err);
            rune_alloc_fail_after(-1);
            if (cst == RUNE_OK) {
                rune_smp_client_free(&c);
            } else {
                CHECK_STATUS(cst, RUNE_E_NOMEM);
                nomem++;
            }
            rune_smp_transport_close(t);
        } else {
            CHECK_STATUS(st, RUNE_E_NOMEM);
            CHECK(t == NULL);
            nomem++;
        }
        int fds[2];
        CHECK(pipe(fds) == 0);
        rune_alloc_fail_after(k);
        st = rune_smp_serial_fdopen(fds[0], true, false, 115200, 0, &t, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_OK) {
            rune_smp_transport_close(t);
        } else {
            CHECK_STATUS(st, RUNE_E_NOMEM);
            nomem++;
        }
        close(fds[1]);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    CHECK(nomem >= 6);
}

int main(void)
{
    RUN(udp_loopback);
    RUN(udp_small_device_buffer);
    RUN(udp_ipv6);
    RUN(udp_errors);
    RUN(allocation_failures);
    return test_report();
}

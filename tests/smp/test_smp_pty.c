/*
 * test_smp_pty.c - SMP over a serial line, on a pseudo-terminal pair: the device serves on the
 * master side, the client opens the slave as a tty (raw mode, 115200 and 921600 baud) and runs the
 * same exchanges as over UDP, including the 300 KB model upload broken off and resumed (stop-and-
 * wait and pipelined). Console text written into the line between messages is skipped. At 115200
 * the device does not know the framing command (the client stays on the console framing); at
 * 921600 it does, and the uploads run in 4 KB binary frames.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "smp_fixture.h"

static int open_master(char *slave, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) return -1;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || !ptsname(m)) {
        close(m);
        return -1;
    }
    snprintf(slave, cap, "%s", ptsname(m));
    return m;
}

static void run_at(int baud, bool framing)
{
    rune_error err;
    long live = rune_alloc_live();
    char slave[256];
    int m = open_master(slave, sizeof slave);
    CHECK(m >= 0);
    if (m < 0) return;
    /* the client opens the slave: raw mode at the baud rate */
    rune_smp_transport *ct = NULL, *dt = NULL;
    CHECK_OK(rune_smp_serial_open(slave, baud, 0, &ct, &err), &err);
    if (!ct) return;
    struct termios tio;
    int sfd = open(slave, O_RDWR | O_NOCTTY);
    CHECK(sfd >= 0 && tcgetattr(sfd, &tio) == 0);
    CHECK(!(tio.c_lflag & (ICANON | ECHO)));
    CHECK(!(tio.c_oflag & OPOST));
    CHECK_EQ_INT(cfgetospeed(&tio), baud == 115200 ? B115200 : B921600);
    close(sfd);
    CHECK_OK(rune_smp_serial_fdopen(m, true, false, baud, 0, &dt, &err), &err);
    CHECK_EQ_INT(dt->mtu, RUNE_SMP_SERIAL_MTU);
    /* console text from the device before it speaks SMP */
    CHECK(write(m, "*** Booting RunicOS ***\r\n", 25) == 25);
    test_dev d;
    dev_start_opts(&d, dt, dt->mtu, framing);
    lossy l;
    lossy_wrap(&l, ct);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, &l.base, &err), &err);
    c.timeout_ms = 300;
    c.retries = 2;
    scenario_echo(&c);
    bool binary = !framing;
    CHECK_OK(rune_smp_negotiate_framing(&c, &binary, &err), &err);
    CHECK(binary == framing);
    CHECK_EQ_INT(c.dev_mtu, framing ? RUNE_SMP_SERIAL_BIN_MTU : 0);
    CHECK_EQ_INT(c.t->mtu, framing ? RUNE_SMP_SERIAL_BIN_MTU : RUNE_SMP_SERIAL_MTU);
    CHECK_EQ_INT(ct->mtu, c.t->mtu);
    char out[64];
    CHECK_OK(rune_smp_echo(&c, "after the negotiation", out, sizeof out, &err), &err);
    CHECK_STR(out, "after the negotiation");
    /* console text between messages, in either framing */
    CHECK(write(m, "log: still here\n", 16) == 16);
    size_t len = 0;
    uint8_t *img = person_model(&len);
    if (img) scenario_upload(&d, &c, &l, img, len);
    if (img) scenario_upload_pipelined(&d, &c, &l, img, len - 1000);
    free(img);
    rune_smp_client_free(&c);
    dev_stop(&d);
    rune_smp_transport_close(ct);
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(pty_115200)
{
    run_at(115200, false);
}
TEST(pty_921600)
{
    run_at(921600, true);
}

TEST(serial_errors)
{
    rune_error err;
    rune_smp_transport *t = NULL;
    CHECK_STATUS(rune_smp_serial_open("/nonexistent/tty", 115200, 0, &t, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "/nonexistent/tty");
    char slave[256];
    int m = open_master(slave, sizeof slave);
    CHECK_STATUS(rune_smp_serial_open(slave, 12345, 0, &t, &err), RUNE_E_ARG);
    CHECK_CONTAINS(err.msg, "unsupported baud rate 12345");
    CHECK(t == NULL);
    /* garbage on the line: the client reports a timeout, not a crash */
    CHECK_OK(rune_smp_serial_open(slave, 115200, 0, &t, &err), &err);
    rune_smp_client c;
    CHECK_OK(rune_smp_client_init(&c, t, &err), &err);
    c.timeout_ms = 100;
    c.retries = 0;
    const char junk[] = "\x06\x09!!!!\n\x04\x14QUJD\nplain text\n";
    CHECK(write(m, junk, sizeof junk - 1) == (ssize_t)(sizeof junk - 1));
    char out[8];
    CHECK_STATUS(rune_smp_echo(&c, "x", out, sizeof out, &err), RUNE_E_TIMEOUT);
    rune_smp_client_free(&c);
    rune_smp_transport_close(t);
    close(m);
}

/* One device thread serving a UDP and a serial transport together with serve_any. */
typedef struct any_dev {
    rune_smp_server *srv;
    rune_smp_transport *ts[2];
    atomic_int stop;
    atomic_long served;
} any_dev;

static void *any_loop(void *p)
{
    any_dev *d = p;
    while (!atomic_load(&d->stop)) {
        size_t n = 0;
        rune_smp_server_serve_any(d->srv, d->ts, 2, 20, &n, NULL);
        atomic_fetch_add(&d->served, (long)n);
    }
    return NULL;
}

TEST(serve_udp_and_serial_from_one_thread)
{
    rune_error err;
    char slave[256];
    int m = open_master(slave, sizeof slave);
    CHECK(m >= 0);
    if (m < 0) return;
    any_dev d;
    memset(&d, 0, sizeof d);
    CHECK_OK(rune_smp_server_create(&d.srv, &err), &err);
    CHECK_OK(rune_smp_server_register_os(d.srv, 1024, &err), &err);
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &d.ts[0], &err), &err);
    CHECK_OK(rune_smp_serial_fdopen(m, true, false, 115200, 0, &d.ts[1], &err), &err);
    if (!d.ts[0] || !d.ts[1]) return;
    pthread_t th;
    pthread_create(&th, NULL, any_loop, &d);
    rune_smp_transport *ut = NULL, *st = NULL;
    CHECK_OK(rune_smp_udp_client("127.0.0.1", rune_smp_udp_bound_port(d.ts[0]), &ut, &err), &err);
    CHECK_OK(rune_smp_serial_open(slave, 115200, 0, &st, &err), &err);
    rune_smp_client cu, cs;
    CHECK_OK(rune_smp_client_init(&cu, ut, &err), &err);
    CHECK_OK(rune_smp_client_init(&cs, st, &err), &err);
    char out[32];
    for (int i = 0; i < 20; i++) {
        char want[32];
        snprintf(want, sizeof want, "ping %d", i);
        CHECK_OK(rune_smp_echo(i % 2 ? &cu : &cs, want, out, sizeof out, &err), &err);
        CHECK_STR(out, want);
    }
    CHECK_EQ_INT(cu.n_retries + cs.n_retries, 0);
    atomic_store(&d.stop, 1);
    pthread_join(th, NULL);
    CHECK_EQ_INT(atomic_load(&d.served), 20);
    rune_smp_client_free(&cu);
    rune_smp_client_free(&cs);
    rune_smp_transport_close(ut);
    rune_smp_transport_close(st);
    rune_smp_transport_close(d.ts[0]);
    rune_smp_transport_close(d.ts[1]);
    rune_smp_server_destroy(d.srv);
}

int main(void)
{
    RUN(pty_115200);
    RUN(pty_921600);
    RUN(serial_errors);
    RUN(serve_udp_and_serial_from_one_thread);
    return test_report();
}

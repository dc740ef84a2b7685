/*
 * The agent over serial (SMP console framing on a pseudo-terminal) and UDP at once, as a device
 * with both links: cast over the pty, watch it over UDP; the params answer follows the smaller
 * serial mtu; line noise on the serial link is skipped.
 */
#include "agent_fixture.h"
#include "rune/saga.h"

#include <fcntl.h>

TEST(cast_over_a_pty_watch_over_udp)
{
    fx_dev d;
    fx_dev_init(&d, "dev-serial");
    rune_error err;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(m >= 0);
    if (m < 0) return;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || !ptsname(m)) {
        close(m);
        CHECK(0);
        return;
    }
    char slave[128];
    snprintf(slave, sizeof slave, "%s", ptsname(m));

    /* the agent: UDP from the profile, and the pty's master end as its serial line */
    rune_agent_profile p = d.prof;
    snprintf(p.udp, sizeof p.udp, "127.0.0.1:0");
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&p, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_open_transports(a, &err), &err);
    rune_smp_transport *dt = NULL;
    CHECK_OK(rune_smp_serial_fdopen(m, true, false, 115200, 0, &dt, &err), &err);
    CHECK_OK(rune_agent_add_transport(a, dt, &err), &err);
    fx_srv srv;
    memset(&srv, 0, sizeof srv);
    srv.a = a;
    srv.port = rune_agent_udp_port(a);
    pthread_create(&srv.th, NULL, fx_srv_main, &srv);

    /* hmr's end of the serial line */
    rune_smp_transport *ct = NULL;
    CHECK_OK(rune_smp_serial_open(slave, 115200, 0, &ct, &err), &err);
    fx_cli sc;
    memset(&sc, 0, sizeof sc);
    sc.t = ct;
    CHECK_OK(rune_smp_client_init(&sc.c, ct, &err), &err);
    sc.c.timeout_ms = 2000;

    /* console noise before the first frame is skipped */
    const char noise[] = "boot: hello from the console\n\x06\x09garbage!!\n";
    int nfd = open(slave, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    CHECK(nfd >= 0 && write(nfd, noise, sizeof noise - 1) == (ssize_t)(sizeof noise - 1));
    if (nfd >= 0) close(nfd);

    uint64_t buf_size = 0, buf_count = 0;
    CHECK_OK(rune_smp_params(&sc.c, &buf_size, &buf_count, &err), &err);
    CHECK_EQ_INT(buf_size, RUNE_SMP_SERIAL_MTU);

    size_t len = 0;
    uint8_t *r = fx_rune_pad("hostile", "hostile", "1.0.0", "RAW", fx_raw_args, 6000, &len);
    CHECK_OK(fx_upload(&sc, r, len, &err), &err);
    CHECK(fx_wait_state(&sc, "hostile", "running", 2000));

    fx_cli uc;
    if (fx_cli_open(&uc, srv.port)) {
        CHECK(fx_wait_state(&uc, "hostile", "running", 1000));
        char info[64];
        CHECK_OK(rune_smp_os_info(&uc.c, "n", info, sizeof info, &err), &err);
        CHECK_STR(info, "dev-serial");
        fx_cli_close(&uc);
    }
    rune_free(r);
    fx_cli_close(&sc);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

/* A new pty; its slave's path in out. -1 on failure. */
static int new_pty(char *out, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) return -1;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || !ptsname(m)) {
        close(m);
        return -1;
    }
    snprintf(out, cap, "%s", ptsname(m));
    return m;
}

static bool find_back(void *ud, const rune_saga_log_entry *e)
{
    int *n = ud;
    if (strstr(e->msg, "lost; reopening")) *n |= 1;
    if (strstr(e->msg, " back")) *n |= 2;
    return true;
}

/* The agent's serial line (a path, as in a profile) goes away - the far end hangs up, as when a USB
 * adapter is unplugged - and comes back at the same path: the agent reopens it by itself. */
TEST(serial_line_lost_and_back)
{
    fx_dev d;
    fx_dev_init(&d, "dev-replug");
    rune_error err;
    char slave[128], link[128];
    int m = new_pty(slave, sizeof slave);
    CHECK(m >= 0);
    if (m < 0) return;
    snprintf(link, sizeof link, "%s/tty", d.dir);
    CHECK(symlink(slave, link) == 0);
    rune_agent_profile p = d.prof;
    snprintf(p.serial, sizeof p.serial, "%s", link);
    rune_agent *a = NULL;
    CHECK_OK(rune_agent_create(&p, NULL, &a, &err), &err);
    if (!a) return;
    CHECK_OK(rune_agent_open_transports(a, &err), &err);
    fx_srv srv;
    memset(&srv, 0, sizeof srv);
    srv.a = a;
    pthread_create(&srv.th, NULL, fx_srv_main, &srv);

    for (int round = 0; round < 2; round++) {
        rune_smp_transport *ct = NULL;
        CHECK_OK(rune_smp_serial_fdopen(m, true, true, 115200, 0, &ct, &err), &err);
        rune_smp_client c;
        CHECK_OK(rune_smp_client_init(&c, ct, &err), &err);
        c.timeout_ms = 1000;
        c.retries = 4;
        char out[32];
        CHECK_OK(rune_smp_echo(&c, round ? "back again" : "hello", out, sizeof out, &err), &err);
        CHECK_STR(out, round ? "back again" : "hello");
        rune_smp_client_free(&c);
        rune_smp_transport_close(ct); /* hang up: closes the master, the slave is gone */
        if (round == 0) {
            m = new_pty(slave, sizeof slave);
            CHECK(m >= 0);
            if (m < 0) break;
            unlink(link);
            CHECK(symlink(slave, link) == 0);
        }
    }
    srv.stop = 1;
    pthread_join(srv.th, NULL);
    int seen = 0;
    uint64_t next = 0, dropped = 0;
    rune_saga_logs_read(rune_agent_saga(a), 0, 1000, NULL, find_back, &seen, &next, &dropped);
    CHECK_EQ_INT(seen, 3);
    rune_agent_destroy(a);
    fx_rmtree(d.dir);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(cast_over_a_pty_watch_over_udp);
    RUN(serial_line_lost_and_back);
    test_current_ = "leaks";
    CHECK_EQ_INT(rune_alloc_live(), live);
    return test_report();
}

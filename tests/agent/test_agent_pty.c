/*
 * The agent over serial (SMP console framing on a pseudo-terminal) and UDP at once, as a device
 * with both links: cast over the pty, watch it over UDP; the params answer follows the smaller
 * serial mtu; line noise on the serial link is skipped.
 */
#include "agent_fixture.h"

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

int main(void)
{
    long live = rune_alloc_live();
    RUN(cast_over_a_pty_watch_over_udp);
    test_current_ = "leaks";
    CHECK_EQ_INT(rune_alloc_live(), live);
    return test_report();
}

/*
 * test_hammer_config.c - Hammer's pieces that need no agent: the targets file (every error names
 * its line), serial port globbing, UDP address lists, the parallel probe (an in-test SMP server
 * answers, a silent socket and a garbage answer do not count), CBOR answers as JSON, connect
 * errors; allocation failures return NOMEM and leak nothing.
 */
#include "hammer_fixture.h"

TEST(test_config_good)
{
    const char *text = "# my devices\n"
                       "\n"
                       "kitchen  udp    192.168.1.20:1337   # the pi\n"
                       "bench\tserial /dev/ttyUSB0 921600\n"
                       "v6 udp [::1]:1400\n"
                       "plain serial /dev/ttyACM3\n"
                       "legacy serial /dev/ttyACM4 115200 console\n"
                       "legacy2 serial /dev/ttyACM5 console";
    rune_hmr_targets ts = {0};
    rune_error err;
    CHECK_OK(rune_hmr_config_parse(text, strlen(text), "t", &ts, &err), &err);
    CHECK_EQ_INT(ts.n, 6);
    const rune_hmr_target *k = rune_hmr_targets_find(&ts, "kitchen");
    CHECK(k && k->type == RUNE_HMR_UDP);
    if (k) CHECK_STR(k->address, "192.168.1.20:1337");
    const rune_hmr_target *b = rune_hmr_targets_find(&ts, "bench");
    CHECK(b && b->type == RUNE_HMR_SERIAL && b->baud == 921600);
    if (b) CHECK_STR(b->source, "config");
    CHECK(rune_hmr_targets_find(&ts, "plain") && rune_hmr_targets_find(&ts, "plain")->baud == 0);
    /* "console": keep MCUmgr's console framing; the others negotiate the binary one */
    const rune_hmr_target *l = rune_hmr_targets_find(&ts, "legacy");
    CHECK(l && l->console && l->baud == 115200);
    l = rune_hmr_targets_find(&ts, "legacy2");
    CHECK(l && l->console && l->baud == 0);
    CHECK(b && !b->console);
    CHECK(rune_hmr_targets_find(&ts, "nope") == NULL);
    rune_hmr_targets_free(&ts);
    CHECK(ts.v == NULL && ts.n == 0);
    rune_hmr_targets_free(NULL);
}

TEST(test_config_errors)
{
    static const struct {
        const char *text, *msg;
        rune_status st;
    } cases[] = {
        {"a udp\n", "t:1: expected", RUNE_E_MALFORMED},
        {"# ok\nb tcp 1.2.3.4:5\n", "t:2: type \"tcp\"", RUNE_E_INVALID},
        {"c udp 1.2.3.4\n", "t:1: address \"1.2.3.4\" is not HOST:PORT", RUNE_E_INVALID},
        {"c udp 1.2.3.4:0\n", "port must be 1..65535", RUNE_E_INVALID},
        {"c udp 1.2.3.4:70000\n", "port must be 1..65535", RUNE_E_INVALID},
        {"c udp :80\n", "is not HOST:PORT", RUNE_E_INVALID},
        {"d udp h:1\nd udp h:2\n", "t:2: id \"d\" is used twice", RUNE_E_INVALID},
        {"e serial /dev/x 12\n", "t:1: baud \"12\"", RUNE_E_INVALID},
        {"e serial /dev/x 9600x\n", "baud \"9600x\"", RUNE_E_INVALID},
        {"f udp h:1 9600\n", "takes no baud", RUNE_E_INVALID},
        {"f udp h:1 console\n", "takes no baud rate or framing", RUNE_E_INVALID},
        {"f serial /dev/x console 9600\n", "got 5 words", RUNE_E_MALFORMED},
        {"g serial /dev/x 9600 more\n", "got 5 words", RUNE_E_MALFORMED},
        {"h serial /dev/x 9600 more words here\n", "got 5 words", RUNE_E_MALFORMED},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa udp h:1\n",
         "is too long", RUNE_E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rune_hmr_targets ts = {0};
        rune_error err;
        long live = rune_alloc_live();
        rune_status st =
            rune_hmr_config_parse(cases[i].text, strlen(cases[i].text), "t", &ts, &err);
        CHECK_STATUS(st, cases[i].st);
        CHECK_CONTAINS(err.msg, cases[i].msg);
        rune_hmr_targets_free(&ts);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    /* a NUL inside a line, a line too long */
    rune_hmr_targets ts = {0};
    rune_error err;
    CHECK_STATUS(rune_hmr_config_parse("a udp h:1\0x\n", 12, "t", &ts, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "NUL");
    rune_hmr_targets_free(&ts);
    char *big = malloc(5000);
    memset(big, 'x', 5000);
    CHECK_STATUS(rune_hmr_config_parse(big, 5000, "t", &ts, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "line longer");
    free(big);
    rune_hmr_targets_free(&ts);
    CHECK_STATUS(rune_hmr_config_load("/nonexistent/targets", &ts, &err), RUNE_E_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "/nonexistent/targets");
}

TEST(test_config_nomem)
{
    /* more targets than the first allocation holds, so growing fails too */
    char text[2048] = "";
    for (int i = 0; i < 20; i++) {
        char line[64];
        snprintf(line, sizeof line, "t%d udp 127.0.0.1:%d\n", i, 2000 + i);
        strcat(text, line);
    }
    int nomem = 0;
    for (long n = 0; n < 10; n++) {
        rune_hmr_targets ts = {0};
        rune_error err;
        long live = rune_alloc_live();
        rune_alloc_fail_after(n);
        rune_status st = rune_hmr_config_parse(text, strlen(text), "t", &ts, &err);
        rune_alloc_fail_after(-1);
        if (st == RUNE_E_NOMEM) {
            nomem++;
            CHECK_CONTAINS(err.msg, "out of memory");
        } else {
            CHECK_OK(st, &err);
            CHECK_EQ_INT(ts.n, 20);
        }
        rune_hmr_targets_free(&ts);
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    CHECK(nomem >= 2);
}

TEST(test_default_path)
{
    char p[512];
    setenv("RUNE_TARGETS", "/x/targets", 1);
    rune_hmr_config_default_path(p, sizeof p);
    CHECK_STR(p, "/x/targets");
    unsetenv("RUNE_TARGETS");
    setenv("XDG_CONFIG_HOME", "/cfg", 1);
    rune_hmr_config_default_path(p, sizeof p);
    CHECK_STR(p, "/cfg/rune/targets");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    rune_hmr_config_default_path(p, sizeof p);
    CHECK_STR(p, "/home/u/.config/rune/targets");
}

TEST(test_scan_serial_and_udp_lists)
{
    char dir[64] = "/tmp/hmr-scan-XXXXXX";
    if (!mkdtemp(dir)) return;
    char p1[128], p2[128], pat[128];
    snprintf(p1, sizeof p1, "%s/ttyUSB0", dir);
    snprintf(p2, sizeof p2, "%s/ttyUSB1", dir);
    hx_write(p1, "", 0);
    hx_write(p2, "", 0);
    chmod(p2, 0); /* cannot be opened (unless we are root) */
    snprintf(pat, sizeof pat, "%s/ttyUSB*", dir);
    const char *const pats[] = {pat, "/nonexistent/ttyACM*", NULL};
    rune_hmr_targets ts = {0};
    rune_error err;
    CHECK_OK(rune_hmr_scan_serial(pats, &ts, &err), &err);
    CHECK_EQ_INT(ts.n, 2);
    if (ts.n == 2) {
        CHECK_STR(ts.v[0].address, p1);
        CHECK(ts.v[0].available);
        CHECK_STR(ts.v[0].source, "serial");
        CHECK(ts.v[1].available == (geteuid() == 0));
    }
    /* scanning again adds nothing twice */
    CHECK_OK(rune_hmr_scan_serial(pats, &ts, &err), &err);
    CHECK_EQ_INT(ts.n, 2);
    CHECK_OK(rune_hmr_add_udp(&ts, "127.0.0.1", 4000, 4004, &err), &err);
    CHECK_OK(rune_hmr_add_udp(&ts, "127.0.0.1:4002", 0, 0, &err), &err); /* already there */
    CHECK_OK(rune_hmr_add_udp(&ts, "::1", 5000, 5000, &err), &err);
    CHECK_EQ_INT(ts.n, 8);
    CHECK(rune_hmr_targets_find(&ts, "127.0.0.1:4004") != NULL);
    CHECK(rune_hmr_targets_find(&ts, "[::1]:5000") != NULL);
    CHECK_STATUS(rune_hmr_add_udp(&ts, "127.0.0.1", 10, 5, &err), RUNE_E_ARG);
    CHECK_STATUS(rune_hmr_add_udp(&ts, "nonsense", 0, 0, &err), RUNE_E_INVALID);
    CHECK_STATUS(rune_hmr_add_udp(&ts, "127.0.0.1", 1, 65535, &err), RUNE_E_LIMIT);
    rune_hmr_targets_free(&ts);
    hx_rmtree(dir);
}

/* ---- probe: an SMP server in a thread, a silent socket, a socket answering garbage ---- */

typedef struct srv {
    rune_smp_server *s;
    rune_smp_transport *t;
    pthread_t th;
    atomic_int stop;
} srv;

static void *srv_main(void *p)
{
    srv *s = p;
    while (!atomic_load(&s->stop))
        rune_smp_server_serve(s->s, s->t, 20, NULL);
    return NULL;
}

static void *garbage_main(void *p)
{
    int fd = *(int *)p;
    uint8_t buf[2048];
    for (int i = 0; i < 50; i++) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 20) <= 0) continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0) continue;
        /* the request echoed back with a bad version, then an answer with a broken body */
        buf[0] |= 0x18;
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
        static const uint8_t bad[] = {1, 0, 0, 3, 0, 0, 0x5a, 7, 0xbf, 0x61, 'x'};
        sendto(fd, bad, sizeof bad, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    return ntohs(a.sin_port);
}

TEST(test_probe)
{
    rune_error err;
    srv s;
    memset(&s, 0, sizeof s);
    CHECK_OK(rune_smp_server_create(&s.s, &err), &err);
    CHECK_OK(rune_smp_server_register_os(s.s, RUNE_SMP_UDP_MTU, &err), &err);
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &s.t, &err), &err);
    if (!s.s || !s.t) return;
    pthread_create(&s.th, NULL, srv_main, &s);
    int silent = socket(AF_INET, SOCK_DGRAM, 0), garbage = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(silent, (struct sockaddr *)&a, sizeof a);
    bind(garbage, (struct sockaddr *)&a, sizeof a);
    pthread_t gth;
    pthread_create(&gth, NULL, garbage_main, &garbage);

    rune_hmr_targets ts = {0};
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", rune_smp_udp_bound_port(s.t));
    CHECK_OK(rune_hmr_add_udp(&ts, addr, 0, 0, &err), &err);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", bound_port(silent));
    CHECK_OK(rune_hmr_add_udp(&ts, addr, 0, 0, &err), &err);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", bound_port(garbage));
    CHECK_OK(rune_hmr_add_udp(&ts, addr, 0, 0, &err), &err);
    /* a config target that does not resolve is simply unavailable */
    CHECK_OK(rune_hmr_config_parse("x udp no.such.host.invalid:5\n", 29, "t", &ts, &err), &err);
    uint64_t t0 = hx_now_ms();
    CHECK_OK(rune_hmr_probe(&ts, 200, 0, &err), &err);
    uint64_t took = hx_now_ms() - t0;
    CHECK(took < 1500); /* all at once, not one timeout each */
    CHECK_EQ_INT(ts.n, 4);
    char host[256] = "";
    gethostname(host, sizeof host);
    CHECK(ts.v[0].available);
    CHECK_STR(ts.v[0].name, host);
    CHECK(!ts.v[1].available);
    CHECK(!ts.v[2].available);
    CHECK(!ts.v[3].available);
    CHECK_OK(rune_hmr_probe(&ts, 200, RUNE_HMR_PROBE_DROP_SILENT, &err),
             &err);        /* silent network targets go */
    CHECK_EQ_INT(ts.n, 2); /* the server and the config one */
    rune_hmr_targets_free(&ts);

    /* an ordinary connection to the server answers too */
    rune_hmr_target t = hx_udp_target("s", rune_smp_udp_bound_port(s.t));
    rune_hmr_conn c;
    if (hx_connect(&t, 300, &c)) {
        char out[64];
        CHECK_OK(rune_smp_echo(&c.c, "hi", out, sizeof out, &err), &err);
        CHECK_STR(out, "hi");
        /* a plain SMP server is not RunicOS: a cast stops at the provider step */
        size_t len = 0;
        uint8_t *r = hx_rune("good", "blink", "1.0", NULL, 0, &len);
        rune_hmr_cast_result res;
        CHECK_STATUS(rune_hmr_cast(&c, r, len, NULL, &res, &err), RUNE_E_UNSUPPORTED);
        CHECK_CONTAINS(err.msg, "does not answer as RunicOS");
        CHECK_STATUS(rune_hmr_cast(&c, r, len, NULL, NULL, NULL), RUNE_E_UNSUPPORTED);
        rune_hmr_status st;
        CHECK_STATUS(rune_hmr_get_status(&c, &st, &err), RUNE_E_UNSUPPORTED);
        char name[64];
        CHECK_STATUS(rune_hmr_rollback(&c, name, sizeof name, &err), RUNE_E_UNSUPPORTED);
        rune_free(r);
        rune_hmr_disconnect(&c);
    }
    atomic_store(&s.stop, 1);
    pthread_join(s.th, NULL);
    pthread_join(gth, NULL);
    rune_smp_transport_close(s.t);
    rune_smp_server_destroy(s.s);
    close(silent);
    close(garbage);
}

TEST(test_cbor_json)
{
    uint8_t buf[256];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_map(&e, 4);
    rune_cbor_put_textz(&e, "n");
    rune_cbor_put_uint(&e, 42);
    rune_cbor_put_textz(&e, "neg");
    rune_cbor_put_int(&e, -7);
    rune_cbor_put_textz(&e, "digest");
    rune_cbor_put_bytes(&e, "\x01\xab\xff", 3);
    rune_cbor_put_textz(&e, "runes");
    rune_cbor_put_array(&e, 2);
    rune_cbor_put_map(&e, 2);
    rune_cbor_put_textz(&e, "ok");
    rune_cbor_put_bool(&e, true);
    rune_cbor_put_textz(&e, "x");
    rune_cbor_put_null(&e);
    rune_cbor_put_textz(&e, "q\"uote");
    rune_error err;
    CHECK_OK(rune_cbor_enc_finish(&e, &err), &err);
    rune_cbor_item items[64];
    rune_cbor_doc doc;
    CHECK_OK(rune_cbor_decode(buf, e.len, items, 64, &doc, &err), &err);
    char *json = NULL;
    CHECK_OK(rune_hmr_cbor_to_json(&doc, 0, &json, &err), &err);
    CHECK_STR(json,
              "{\"n\":42,\"neg\":-7,\"digest\":\"01abff\",\"runes\":[{\"ok\":true,\"x\":null},"
              "\"q\\\"uote\"]}");
    rune_free(json);
}

TEST(test_cbor_json_exact_escaped_nomem)
{
    uint8_t buf[128];
    rune_cbor_enc e;
    rune_cbor_enc_init(&e, buf, sizeof buf);
    rune_cbor_put_array(&e, 5);
    rune_cbor_put_uint(&e, 18446744073709551615ull);
    rune_cbor_put_int(&e, -9223372036854775807ll - 1);
    rune_cbor_put_text(&e, "a\n\x01\\", 4);
    rune_cbor_put_double(&e, 0.5);
    rune_cbor_put_double(&e, INFINITY);
    rune_error err;
    CHECK_OK(rune_cbor_enc_finish(&e, &err), &err);
    rune_cbor_item items[16];
    rune_cbor_doc doc;
    CHECK_OK(rune_cbor_decode(buf, e.len, items, 16, &doc, &err), &err);
    char *json = NULL;
    CHECK_OK(rune_hmr_cbor_to_json(&doc, 0, &json, &err), &err);
    CHECK_STR(json, "[18446744073709551615,-9223372036854775808,\"a\\n\\u0001\\\\\",0.5,null]");
    rune_free(json);
    long live = rune_alloc_live();
    rune_alloc_fail_after(0);
    CHECK_STATUS(rune_hmr_cbor_to_json(&doc, 0, &json, &err), RUNE_E_NOMEM);
    rune_alloc_fail_after(-1);
    CHECK(json == NULL);
    CHECK_EQ_INT(rune_alloc_live(), live);
    CHECK_STATUS(rune_hmr_cbor_to_json(&doc, 99, &json, &err), RUNE_E_MALFORMED);
}

TEST(test_connect_errors)
{
    rune_hmr_conn c;
    rune_error err;
    rune_hmr_target t = hx_serial_target("tty", "/nonexistent/ttyUSB9", 115200);
    CHECK_STATUS(rune_hmr_connect(&t, 100, &c, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "target tty");
    t = hx_udp_target("u", 1);
    snprintf(t.address, sizeof t.address, "no-port");
    CHECK_STATUS(rune_hmr_connect(&t, 100, &c, &err), RUNE_E_INVALID);
    CHECK_STATUS(rune_hmr_connect(NULL, 100, &c, &err), RUNE_E_ARG);
    rune_hmr_disconnect(&c);
    rune_hmr_disconnect(NULL);
    /* nobody listening: a status request times out with a message */
    t = hx_udp_target("u", 9);
    if (hx_connect(&t, 50, &c)) {
        c.c.retries = 0;
        rune_hmr_status st;
        CHECK_STATUS(rune_hmr_get_status(&c, &st, &err), RUNE_E_TIMEOUT);
        rune_hmr_disconnect(&c);
    }
}

/* Discovery by request to an address (broadcast ones in real use; loopback here, as a broadcast
 * on the test machine's networks is not the tests' business): whoever answers becomes a target,
 * a known address is marked rather than repeated, garbage and silence add nothing. */
TEST(test_discover)
{
    rune_error err;
    srv s;
    memset(&s, 0, sizeof s);
    CHECK_OK(rune_smp_server_create(&s.s, &err), &err);
    CHECK_OK(rune_smp_server_register_os(s.s, RUNE_SMP_UDP_MTU, &err), &err);
    CHECK_OK(rune_smp_udp_server("127.0.0.1", 0, &s.t, &err), &err);
    if (!s.s || !s.t) return;
    pthread_create(&s.th, NULL, srv_main, &s);
    int garbage = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(garbage, (struct sockaddr *)&a, sizeof a);
    pthread_t gth;
    pthread_create(&gth, NULL, garbage_main, &garbage);
    uint16_t port = rune_smp_udp_bound_port(s.t);
    char host[256] = "", addr[64];
    gethostname(host, sizeof host);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    long live = rune_alloc_live();

    rune_hmr_targets ts = {0};
    static const char *const lo[] = {"127.0.0.1", NULL};
    CHECK_OK(rune_hmr_discover(&ts, lo, port, 200, &err), &err);
    CHECK_EQ_INT(ts.n, 1);
    if (ts.n == 1) {
        CHECK_STR(ts.v[0].address, addr);
        CHECK_STR(ts.v[0].source, "network");
        CHECK_STR(ts.v[0].name, host);
        CHECK(ts.v[0].available && ts.v[0].type == RUNE_HMR_UDP);
    }
    /* again: marked, not repeated; the garbage port adds nothing */
    ts.v[0].available = false;
    CHECK_OK(rune_hmr_discover(&ts, lo, port, 200, &err), &err);
    CHECK_OK(rune_hmr_discover(&ts, lo, bound_port(garbage), 200, &err), &err);
    CHECK_EQ_INT(ts.n, 1);
    CHECK(ts.n == 1 && ts.v[0].available);
    static const char *const bad[] = {"127.0.0.1", "not-an-address", NULL};
    CHECK_STATUS(rune_hmr_discover(&ts, bad, port, 200, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "\"not-an-address\" is not an IPv4 address");
    CHECK_STATUS(rune_hmr_discover(NULL, lo, port, 200, &err), RUNE_E_ARG);
    rune_hmr_targets_free(&ts);
    CHECK_EQ_INT(rune_alloc_live(), live);

    /* the machine's broadcast addresses (maybe none in a container): each one IPv4 */
    char bc[16][64];
    size_t nb = 99;
    CHECK_OK(rune_hmr_broadcast_addrs(bc, 16, &nb, &err), &err);
    CHECK(nb <= 16);
    for (size_t i = 0; i < nb && i < 16; i++) {
        struct in_addr ia;
        CHECK_MSG_(inet_pton(AF_INET, bc[i], &ia) == 1, "broadcast address %s", bc[i]);
    }
    atomic_store(&s.stop, 1);
    pthread_join(s.th, NULL);
    pthread_join(gth, NULL);
    close(garbage);
    rune_smp_server_destroy(s.s);
    rune_smp_transport_close(s.t);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_config_good);
    RUN(test_config_errors);
    RUN(test_config_nomem);
    RUN(test_default_path);
    RUN(test_scan_serial_and_udp_lists);
    RUN(test_probe);
    RUN(test_discover);
    RUN(test_cbor_json);
    RUN(test_cbor_json_exact_escaped_nomem);
    RUN(test_connect_errors);
    return test_report();
}

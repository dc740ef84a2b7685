/*
 * bench_cast.c - how fast Hammer casts a rune onto runicosd, as a fraction of the link's raw rate
 * measured in the same run, and 50 agents cast in parallel.
 *
 *   UDP loopback: upload throughput of a 1 MiB rune against raw stop-and-wait UDP with the same
 *     datagram size (send one, wait for a small ack: what SMP upload does) and against a one-way
 *     blast of datagrams.
 *   Serial over ptys (through the tests' bridge): paced to 115200 and 921600 baud, 8N1 (baud / 10
 *     bytes a second each way; a pty has no baud limit of its own), and unpaced. Both framings in
 *     the same run, 3 casts each, interleaved: MCUmgr's console framing (base64 in 127-byte lines,
 *     so at most ~0.73 of the line carries rune bytes) and the binary framing hmr negotiates with
 *     runicosd (4 KB frames, 7 bytes of framing each); uploads pipelined in both. Reported: rune
 *     bytes per second of the upload step / raw rate, and the line's utilisation: bytes on the
 *     wire towards the device / (time x raw rate).
 *   50 agents: one runicosd each on UDP loopback, the rune cast to all at once from 50 threads;
 *     total time, slowest cast, failures.
 * Not a test (numbers vary with the machine): `cmake --build B --target bench_cast &&
 * B/bench/cast/bench_cast [--quick]`.
 */
#include "hammer_fixture.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- raw UDP baselines ---- */

typedef struct echo_srv {
    int fd;
    atomic_int stop;
    pthread_t th;
} echo_srv;

static void *ack_main(void *p)
{
    echo_srv *s = p;
    uint8_t buf[2048];
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {s->fd, POLLIN, 0};
        if (poll(&pf, 1, 20) <= 0) continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n > 0) sendto(s->fd, buf, 24, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

/* Bytes per second of stop-and-wait: datagrams of dgram bytes, each acknowledged. */
static double raw_udp_stop_and_wait(size_t total, size_t dgram)
{
    echo_srv s;
    memset(&s, 0, sizeof s);
    s.fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s.fd, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(s.fd, (struct sockaddr *)&a, &al);
    pthread_create(&s.th, NULL, ack_main, &s);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    uint8_t buf[2048];
    memset(buf, 0x5a, sizeof buf);
    double t0 = now_s();
    size_t sent = 0;
    while (sent < total) {
        send(c, buf, dgram, 0);
        struct pollfd pf = {c, POLLIN, 0};
        if (poll(&pf, 1, 1000) <= 0) continue; /* lost: send again */
        recv(c, buf + 1024, 1024, 0);
        sent += dgram;
    }
    double t = now_s() - t0;
    atomic_store(&s.stop, 1);
    pthread_join(s.th, NULL);
    close(c);
    close(s.fd);
    return (double)total / t;
}

/* Bytes per second of a one-way blast of datagrams (what the receiver got). */
static double raw_udp_blast(size_t total, size_t dgram)
{
    int r = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 8 << 20;
    setsockopt(r, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(r, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &al);
    connect(c, (struct sockaddr *)&a, sizeof a);
    uint8_t buf[2048];
    memset(buf, 0x5a, sizeof buf);
    size_t got = 0, sent = 0;
    double t0 = now_s();
    while (got < total) {
        if (sent < total + total / 4) {
            send(c, buf, dgram, MSG_DONTWAIT);
            sent += dgram;
        }
        ssize_t n;
        while ((n = recv(r, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            got += (size_t)n;
        if (sent >= total + total / 4 && got < total) break; /* lost some: good enough */
    }
    double t = now_s() - t0;
    close(r);
    close(c);
    return (double)got / t;
}

/* ---- one cast ---- */

static bool cast_once(const rune_hmr_target *t, const uint8_t *rune, size_t len, double *upload_s,
                      double *total_s, double *finish_s, char *why, size_t cap)
{
    rune_hmr_conn c;
    rune_error err;
    double t0 = now_s();
    if (rune_hmr_connect(t, 2000, &c, &err) != RUNE_OK) {
        snprintf(why, cap, "%s", err.msg);
        return false;
    }
    rune_hmr_cast_opts o = {NULL, NULL, false, 3, 20000};
    rune_hmr_cast_result r;
    rune_status st = rune_hmr_cast(&c, rune, len, &o, &r, &err);
    rune_hmr_disconnect(&c);
    *total_s = now_s() - t0;
    *upload_s = r.upload_s;
    if (finish_s) *finish_s = r.finish_s;
    if (st != RUNE_OK) snprintf(why, cap, "%s", err.msg);
    return st == RUNE_OK;
}

static void bench_udp(const uint8_t *runes[2], const size_t lens[2], int rounds)
{
    hx_agent a;
    if (!hx_agent_start(&a, "bench-udp", NULL)) return;
    rune_hmr_target t = hx_udp_target("udp", a.port);
    size_t len = lens[0];
    double best = 1e9, tot_best = 1e9, fin_best = 0, saw = 0, blast = 0;
    char why[256];
    /* rounds interleave the cast and the raw baselines, best of each: the machine is shared */
    for (int i = 0; i < rounds; i++) {
        double up, tot, fin;
        if (!cast_once(&t, runes[i % 2], lens[i % 2], &up, &tot, &fin, why, sizeof why)) {
            printf("udp cast failed: %s\n", why);
            break;
        }
        if (up < best) {
            best = up;
            fin_best = fin;
        }
        if (tot < tot_best) tot_best = tot;
        double r = raw_udp_stop_and_wait(len, RUNE_SMP_UDP_MTU);
        if (r > saw) saw = r;
        r = raw_udp_blast(len * 4, RUNE_SMP_UDP_MTU);
        if (r > blast) blast = r;
    }
    hx_agent_stop(&a);
    double cast_bps = (double)len / best;
    double xfer_bps = (double)len / (best - fin_best);
    printf("UDP loopback, %zu-byte rune (best of %d rounds, each: cast, raw baselines):\n", len,
           rounds);
    printf("  cast upload        %8.2f MB/s  (%.3f s; whole cast incl. probation %.3f s)\n",
           cast_bps / 1e6, best, tot_best);
    printf("  of which install   %8.3f s (the last chunk: device checks, fsyncs, switches)\n",
           fin_best);
    printf("  transfer alone     %8.2f MB/s\n", xfer_bps / 1e6);
    printf("  raw stop-and-wait  %8.2f MB/s  -> cast = %.2f, transfer alone = %.2f of it\n",
           saw / 1e6, cast_bps / saw, xfer_bps / saw);
    printf("  raw one-way blast  %8.2f MB/s  -> cast = %.2f of it\n", blast / 1e6,
           cast_bps / blast);
}

/* One cast over the bridge; false on failure (printed). */
static bool serial_cast(hx_bridge *b, const rune_hmr_target *t, const uint8_t *rune, size_t len,
                        double *ratio, double *util, char *framing, size_t cap)
{
    double up = 0, tot = 0, fin = 0;
    char why[256];
    long w0 = atomic_load(&b->to_agent);
    double t0 = now_s();
    rune_hmr_conn c;
    rune_error err;
    rune_hmr_cast_result r;
    memset(&r, 0, sizeof r);
    bool ok = rune_hmr_connect(t, 2000, &c, &err) == RUNE_OK;
    if (ok) {
        rune_hmr_cast_opts o = {NULL, NULL, false, 3, 20000};
        ok = rune_hmr_cast(&c, rune, len, &o, &r, &err) == RUNE_OK;
        rune_hmr_disconnect(&c);
    }
    up = r.upload_s;
    fin = r.finish_s;
    tot = now_s() - t0;
    (void)tot;
    (void)fin;
    snprintf(framing, cap, "%s", r.framing);
    if (!ok) {
        snprintf(why, sizeof why, "%s", err.msg);
        printf("  cast failed: %s\n", why);
        return false;
    }
    long wire = atomic_load(&b->to_agent) - w0;
    double rate = (double)b->bytes_per_s;
    *ratio = rate > 0 ? (double)len / up / rate : (double)len / up;
    *util = rate > 0 ? (double)wire / (up * rate) : 0;
    return true;
}

/* Both framings over one paced pty line (runs interleaved: the machine is shared). */
static void bench_serial(long baud, const uint8_t *runes[2], const size_t lens[2], int runs)
{
    hx_bridge b;
    long rate = baud > 0 ? baud / 10 : 0;
    if (!hx_bridge_start(&b, rate)) {
        printf("serial: no pty: %s\n", strerror(errno));
        return;
    }
    hx_agent a;
    if (!hx_agent_start(&a, "bench-serial", b.path_a)) {
        hx_bridge_stop(&b);
        return;
    }
    rune_hmr_target t = hx_serial_target("s", b.path_b, baud > 0 ? (int)baud : 921600);
    /* warm up: the first exchange and the agent's start */
    rune_hmr_conn c;
    rune_error err;
    if (rune_hmr_connect(&t, 3000, &c, &err) == RUNE_OK) {
        char name[64];
        rune_smp_os_info(&c.c, "n", name, sizeof name, &err);
        rune_hmr_disconnect(&c);
    }
    double ratio[2][8], util[2][8];
    int n[2] = {0, 0};
    char used[2][16] = {"", ""};
    int k = 0;
    for (int run = 0; run < runs && run < 8; run++) {
        for (int f = 0; f < 2; f++) {
            t.console = f == 0;
            if (serial_cast(&b, &t, runes[k % 2], lens[k % 2], &ratio[f][n[f]], &util[f][n[f]],
                            used[f], sizeof used[f]))
                n[f]++;
            k++;
        }
    }
    hx_agent_stop(&a);
    hx_bridge_stop(&b);
    for (int f = 0; f < 2; f++) {
        if (baud > 0)
            printf("serial %7ld baud (%ld B/s raw), %zu-byte rune, %-7s framing: fraction of raw "
                   "rate",
                   baud, rate, lens[0], used[f]);
        else
            printf("serial unpaced pty, %zu-byte rune, %-7s framing: KB/s", lens[0], used[f]);
        double best = 0;
        for (int i = 0; i < n[f]; i++) {
            printf(" %.3f", baud > 0 ? ratio[f][i] : ratio[f][i] / 1e3);
            if (ratio[f][i] > best) best = ratio[f][i];
        }
        if (baud > 0) {
            printf(" (best %.3f); line use", best);
            for (int i = 0; i < n[f]; i++)
                printf(" %.2f", util[f][i]);
        }
        printf("\n");
    }
}

typedef struct par_job {
    rune_hmr_target t;
    const uint8_t *rune;
    size_t len;
    bool ok;
    double up, tot;
    char why[256];
    pthread_t th;
} par_job;

static void *par_main(void *p)
{
    par_job *j = p;
    j->ok = cast_once(&j->t, j->rune, j->len, &j->up, &j->tot, NULL, j->why, sizeof j->why);
    return NULL;
}

static void bench_parallel(int n, const uint8_t *rune, size_t len)
{
    hx_agent *agents = calloc((size_t)n, sizeof *agents);
    par_job *jobs = calloc((size_t)n, sizeof *jobs);
    int up = 0;
    double ts = now_s();
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "agent-%02d", i);
        if (hx_agent_start(&agents[i], name, NULL)) up++;
    }
    double started = now_s() - ts;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        jobs[i].t = hx_udp_target("p", agents[i].port);
        jobs[i].rune = rune;
        jobs[i].len = len;
        if (agents[i].pid > 0) pthread_create(&jobs[i].th, NULL, par_main, &jobs[i]);
    }
    int failed = 0;
    double slowest = 0;
    for (int i = 0; i < n; i++) {
        if (agents[i].pid <= 0) {
            failed++;
            continue;
        }
        pthread_join(jobs[i].th, NULL);
        if (!jobs[i].ok) {
            failed++;
            printf("  agent %d: %s\n", i, jobs[i].why);
        }
        if (jobs[i].tot > slowest) slowest = jobs[i].tot;
    }
    double total = now_s() - t0;
    printf("%d agents (%d started in %.2f s), %zu-byte rune cast to all at once: %.2f s total, "
           "slowest cast %.2f s, %d failed, %.2f MB/s aggregate\n",
           n, up, started, len, total, slowest, failed, (double)len * (n - failed) / total / 1e6);
    for (int i = 0; i < n; i++)
        hx_agent_stop(&agents[i]);
    free(agents);
    free(jobs);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    signal(SIGPIPE, SIG_IGN);
    size_t big = quick ? 256 << 10 : 1 << 20;
    size_t lens[2], small_len, mid_len, par_len;
    uint8_t *big_runes[2] = {hx_rune("good", "bench", "1.0", NULL, big, &lens[0]),
                             hx_rune("good", "bench", "2.0", NULL, big, &lens[1])};
    size_t small2_len, mid2_len;
    uint8_t *small = hx_rune("good", "bench", "3.0", NULL, quick ? 4000 : 16000, &small_len);
    uint8_t *small2 = hx_rune("good", "bench", "3.1", NULL, quick ? 4000 : 16000, &small2_len);
    uint8_t *mid = hx_rune("good", "bench", "4.0", NULL, quick ? 30000 : 120000, &mid_len);
    uint8_t *mid2 = hx_rune("good", "bench", "4.1", NULL, quick ? 30000 : 120000, &mid2_len);
    uint8_t *par = hx_rune("good", "bench", "5.0", NULL, 100000, &par_len);
    if (!big_runes[0] || !big_runes[1] || !small || !mid || !par || !small2 || !mid2) return 1;
    const uint8_t *br[2] = {big_runes[0], big_runes[1]};
    const uint8_t *sr[2] = {small, small2}, *mr[2] = {mid, mid2};
    size_t sl[2] = {small_len, small2_len}, ml[2] = {mid_len, mid2_len};
    bench_udp(br, lens, quick ? 2 : 4);
    bench_serial(115200, sr, sl, quick ? 1 : 3);
    bench_serial(921600, mr, ml, quick ? 1 : 3);
    bench_serial(0, mr, ml, 1);
    bench_parallel(quick ? 10 : 50, par, par_len);
    rune_free(big_runes[0]);
    rune_free(big_runes[1]);
    rune_free(small);
    rune_free(mid);
    rune_free(small2);
    rune_free(mid2);
    rune_free(par);
    return 0;
}

/*
 * test_hammer_faults.c - nothing a flaky link or a crash does leaves a device broken. Each fault is
 * repeated with random break points from a seeded generator (HAMMER_SEED, default 20261122):
 *   - the UDP link cut mid-upload: the old rune keeps running, the next cast resumes;
 *   - a lossy UDP link dropping, corrupting and duplicating datagrams: the cast still lands;
 *   - the serial line cut mid-upload, and a serial line flipping bits (the frame CRC catches them),
 *     each in both framings: the binary one hmr negotiates with runicosd, and MCUmgr's console one;
 *   - runicosd killed with SIGKILL around the install (over UDP, and over serial in both framings):
 *     restarted on the same store it runs the old or the new rune, never a broken one, and the
 *     next cast finishes the job;
 *   - a rune that traps on every call: the device rolls it back by itself.
 * After every fault the device is checked directly: one rune, running, one of the two we sent, and
 * its inference count growing. The test prints "faults injected: N, devices broken: B" and requires
 * B == 0.
 */
#include "hammer_fixture.h"

#include <sodium.h>

static uint8_t *runes[2], *trap;
static size_t rune_len[2], trap_len;
static uint8_t sha[2][32];
static long faults, broken, checks;

/* Faults injected, by kind (printed at the end). */
enum {
    F_UDP_CUT,
    F_UDP_LOSSY,
    F_KILL,
    F_TRAP,
    F_HOSTILE,
    F_SERIAL_CUT,
    F_SERIAL_FLIP,
    F_SERIAL_NOISE,
    F_SERIAL_KILL,
    F_KINDS
};
static const char *const fault_names[F_KINDS] = {"UDP link cut mid-upload",
                                                 "UDP datagrams dropped/corrupted/duplicated",
                                                 "SIGKILL around install",
                                                 "rune trapping on every call",
                                                 "hostile UDP frames",
                                                 "serial line cut mid-upload",
                                                 "serial bits flipped",
                                                 "serial noise and broken frames",
                                                 "SIGKILL around install, serial"};
static long fault_count[F_KINDS];
static void add_faults(int kind, long n)
{
    fault_count[kind] += n;
    faults += n;
}

/* Which of our runes is active (0 / 1), -1 for something else or none. */
static int active_rune(const rune_hmr_status *s)
{
    if (s->n != 1 || s->runes[0].digest_len != 32) return -1;
    for (int k = 0; k < 2; k++)
        if (memcmp(s->runes[0].digest, sha[k], 32) == 0) return k;
    return -1;
}

/* The device runs one of our runes and it makes progress. Counts a broken device otherwise.
 * Returns the active rune (0/1) or -1. */
static int check_device(const rune_hmr_target *t, const char *what)
{
    checks++;
    rune_hmr_conn c;
    rune_error err;
    int which = -1;
    char why[160] = "no answer";
    if (rune_hmr_connect(t, 300, &c, &err) != RUNE_OK) {
        snprintf(why, sizeof why, "%s", err.msg);
    } else {
        uint64_t end = hx_now_ms() + 6000;
        while (hx_now_ms() < end) {
            rune_hmr_status s;
            if (rune_hmr_get_status(&c, &s, &err) == RUNE_OK) {
                which = active_rune(&s);
                snprintf(why, sizeof why, "%zu runes, state %s, ours %d", s.n,
                         s.n ? s.runes[0].state : "-", which);
                if (which >= 0 && strcmp(s.runes[0].state, "running") == 0) break;
            } else {
                snprintf(why, sizeof why, "%s", err.msg);
            }
            which = -1;
            hx_sleep_ms(30);
        }
        if (which >= 0) {
            uint64_t a = 0, b = 0;
            rune_hmr_metric(&c, NULL, "inferences", &a, &err);
            for (int i = 0; i < 50 && b <= a; i++) {
                hx_sleep_ms(20);
                rune_hmr_metric(&c, NULL, "inferences", &b, &err);
            }
            if (b <= a) {
                snprintf(why, sizeof why, "rune %d does not run (inferences %llu)", which,
                         (unsigned long long)a);
                which = -1;
            }
        }
        rune_hmr_disconnect(&c);
    }
    if (which < 0) {
        broken++;
        fprintf(stderr, "BROKEN after %s: %s\n", what, why);
    }
    return which;
}

/* Cast rune k until it lands (at most tries casts); returns the last status. */
static rune_status cast_until(const rune_hmr_target *t, int k, int timeout_ms, int retries,
                              int resumes, int tries, rune_hmr_cast_result *r, rune_error *err)
{
    rune_status st = RUNE_E_INTERNAL;
    for (int i = 0; i < tries; i++) {
        rune_hmr_conn c;
        if (rune_hmr_connect(t, timeout_ms, &c, err) != RUNE_OK) return err->status;
        c.c.retries = retries;
        rune_hmr_cast_opts o = {NULL, NULL, false, resumes, 8000};
        st = rune_hmr_cast(&c, runes[k], rune_len[k], &o, r, err);
        rune_hmr_disconnect(&c);
        if (st == RUNE_OK) break;
    }
    return st;
}

/* ---- UDP ---- */

static hx_agent udp_agent;
static hx_proxy proxy;

TEST(test_udp_cut_mid_upload)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    rune_hmr_target via = hx_udp_target("proxy", proxy.port);
    int cur = check_device(&direct, "setup");
    for (int round = 0; round < 4 && cur >= 0; round++) {
        int next = 1 - cur;
        size_t at = hx_range(rune_len[next] / 10, rune_len[next] * 9 / 10);
        atomic_store(&proxy.to_agent, 0);
        atomic_store(&proxy.cut_after, (long)at);
        rune_hmr_cast_result r;
        rune_error err;
        rune_status st = cast_until(&via, next, 150, 1, 0, 1, &r, &err);
        CHECK_MSG_(st == RUNE_E_TIMEOUT, "cut at %zu: cast gave %s: %s", at, rune_status_name(st),
                   err.msg);
        add_faults(F_UDP_CUT, 1);
        CHECK_EQ_INT(check_device(&direct, "udp cut"), cur); /* the old rune keeps running */
        atomic_store(&proxy.cut, 0);
        st = cast_until(&via, next, 500, 3, 3, 2, &r, &err);
        CHECK_OK(st, &err);
        CHECK_MSG_(r.resumed_from > 0, "cut at %zu: the next cast started over", at);
        CHECK(r.confirmed);
        cur = check_device(&direct, "udp resume");
        CHECK_EQ_INT(cur, next);
    }
}

/* The same through the command line: a cut cast exits 1 saying how to go on; the next one
 * resumes (its JSON says from where). */
TEST(test_cli_cut_and_resume)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    int cur = check_device(&direct, "setup");
    if (cur < 0) return;
    int next = 1 - cur;
    char path[128], cmd[512], out[8192];
    snprintf(path, sizeof path, "%s/next.rune", udp_agent.dir);
    hx_write(path, runes[next], rune_len[next]);
    size_t at = hx_range(rune_len[next] / 4, rune_len[next] * 3 / 4);
    atomic_store(&proxy.to_agent, 0);
    atomic_store(&proxy.cut_after, (long)at);
    snprintf(cmd, sizeof cmd, "%s targets cast -t 127.0.0.1:%u %s --timeout 150 --resumes 0 2>&1",
             HMR_PATH, proxy.port, path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    int rc = p ? pclose(p) : -1;
    CHECK_EQ_INT(WEXITSTATUS(rc), 1);
    CHECK_CONTAINS(out, "FAIL uploading");
    CHECK_CONTAINS(out, "broken off at");
    CHECK_CONTAINS(out, "run the same cast again to resume");
    add_faults(F_UDP_CUT, 1);
    CHECK_EQ_INT(check_device(&direct, "cli cut"), cur);
    atomic_store(&proxy.cut, 0);
    snprintf(cmd, sizeof cmd, "%s targets cast -t 127.0.0.1:%u %s --json 2>&1", HMR_PATH,
             proxy.port, path);
    p = popen(cmd, "r");
    n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    rc = p ? pclose(p) : -1;
    CHECK_EQ_INT(WEXITSTATUS(rc), 0);
    CHECK_CONTAINS(out, "\"ok\":true");
    CHECK_CONTAINS(out, "resumed\"}"); /* the upload step's detail ends with ", resumed" */
    CHECK(!strstr(out, "\"resumed_from\":0,"));
    CHECK_EQ_INT(check_device(&direct, "cli resume"), next);
}

TEST(test_udp_lossy_link)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    rune_hmr_target via = hx_udp_target("proxy", proxy.port);
    int cur = check_device(&direct, "setup");
    long before = atomic_load(&proxy.faults);
    /* per mille of datagrams, each direction. Corruption is rare: a real network's UDP checksum
     * catches it, and what slips into a chunk's data costs a whole new upload (SHA mismatch) */
    atomic_store(&proxy.drop_pm, 50);
    atomic_store(&proxy.corrupt_pm, 5);
    atomic_store(&proxy.dup_pm, 50);
    for (int round = 0; round < 3 && cur >= 0; round++) {
        int next = 1 - cur;
        rune_hmr_cast_result r;
        rune_error err;
        rune_status st = cast_until(&via, next, 100, 4, 30, 6, &r, &err);
        CHECK_OK(st, &err);
        cur = check_device(&direct, "lossy udp");
        CHECK_EQ_INT(cur, next);
    }
    atomic_store(&proxy.drop_pm, 0);
    atomic_store(&proxy.corrupt_pm, 0);
    atomic_store(&proxy.dup_pm, 0);
    long n = atomic_load(&proxy.faults) - before;
    CHECK(n > 0);
    add_faults(F_UDP_LOSSY, n);
}

TEST(test_sigkill_during_install)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    rune_hmr_target via = hx_udp_target("proxy", proxy.port);
    int cur = check_device(&direct, "setup");
    int landed_new = 0, kept_old = 0;
    for (int round = 0; round < 6 && cur >= 0; round++) {
        int next = 1 - cur;
        /* kill around the last chunk: the device is checking, writing and switching */
        size_t len = rune_len[next];
        size_t at = hx_range(len, len + len / 50);
        atomic_store(&proxy.to_agent, 0);
        atomic_store(&proxy.kill_delay_us, (long)hx_range(0, 30000));
        atomic_store(&proxy.kill_pid, udp_agent.pid);
        atomic_store(&proxy.kill_at, (long)at);
        rune_hmr_cast_result r;
        rune_error err;
        (void)cast_until(&via, next, 150, 1, 0, 1, &r, &err);
        atomic_store(&proxy.kill_at, 0);
        /* whatever happened, the agent dies now if it did not (a crash at an idle moment) */
        hx_agent_kill(&udp_agent, SIGKILL);
        add_faults(F_KILL, 1);
        if (!hx_agent_spawn(&udp_agent)) {
            broken++;
            break;
        }
        int after = check_device(&direct, "SIGKILL during install");
        if (after == next) landed_new++;
        if (after == cur) kept_old++;
        /* the next cast finishes the job (resuming the upload kept across the restart) */
        rune_status st = cast_until(&via, next, 500, 3, 3, 2, &r, &err);
        CHECK_OK(st, &err);
        cur = check_device(&direct, "cast after restart");
        CHECK_EQ_INT(cur, next);
    }
    printf("SIGKILL rounds: new rune active after restart %d, old rune %d\n", landed_new, kept_old);
}

TEST(test_trapping_rune_rolled_back)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    int cur = check_device(&direct, "setup");
    for (int round = 0; round < 2 && cur >= 0; round++) {
        rune_hmr_conn c;
        if (!hx_connect(&direct, 1000, &c)) return;
        rune_hmr_cast_opts o = {NULL, NULL, false, 2, 8000};
        rune_hmr_cast_result r;
        rune_error err;
        CHECK_STATUS(rune_hmr_cast(&c, trap, trap_len, &o, &r, &err), RUNE_E_TRAP);
        CHECK(r.installed && r.rolled_back && !r.confirmed);
        CHECK_CONTAINS(err.msg, "rolled back to blink");
        CHECK_CONTAINS(err.msg, "probation");
        rune_hmr_disconnect(&c);
        add_faults(F_TRAP, 1);
        CHECK_EQ_INT(check_device(&direct, "trapping rune"), cur);
    }
}

/* Hostile frames: random bytes and bit-flipped copies of real read requests, thousands of them,
 * straight at the agent's port. Every frame is a read (op 0) so none may change what the device
 * runs: afterwards the agent must still be alive and its rune running. */
static size_t hostile_frame(uint8_t *buf, size_t cap)
{
    static const struct {
        uint16_t group;
        uint8_t id;
    } reads[] = {{0, 0}, {0, 6}, {0, 7}, {1, 0}, {64, 2}, {64, 3}, {64, 4}, {64, 5}, {64, 6}};
    size_t n;
    if (hx_rand() % 4 == 0) { /* pure noise */
        n = hx_range(0, cap < 200 ? cap : 200);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)hx_rand();
    } else {
        uint8_t body[64];
        rune_cbor_enc e;
        rune_cbor_enc_init(&e, body, sizeof body);
        rune_cbor_put_map(&e, 3);
        rune_cbor_put_textz(&e, "since");
        rune_cbor_put_uint(&e, hx_rand() % 1000);
        rune_cbor_put_textz(&e, "max");
        rune_cbor_put_uint(&e, hx_rand() % 300);
        rune_cbor_put_textz(&e, "name");
        rune_cbor_put_textz(&e, "blink");
        size_t k = hx_rand() % (sizeof reads / sizeof reads[0]);
        rune_smp_hdr h = {RUNE_SMP_OP_READ, RUNE_SMP_V2,        0,          0,
                          reads[k].group,   (uint8_t)hx_rand(), reads[k].id};
        if (rune_smp_msg_build(&h, body, e.len, buf, cap, &n, NULL) != RUNE_OK) return 0;
        for (int flips = (int)hx_range(1, 4); flips > 0; flips--)
            buf[hx_rand() % n] ^= (uint8_t)(1u << (hx_rand() % 8));
        if (hx_rand() % 3 == 0) n = hx_range(0, n); /* truncated */
    }
    if (n > 0) buf[0] &= (uint8_t)~0x07u; /* op 0: a read, whatever else is broken */
    return n;
}

TEST(test_hostile_frames)
{
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    int cur = check_device(&direct, "setup");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(udp_agent.port);
    int sent = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t buf[256];
        size_t n = hostile_frame(buf, sizeof buf);
        if (sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof a) >= 0) sent++;
        if (i % 200 == 199) hx_sleep_ms(5); /* let the agent drain its socket */
    }
    close(fd);
    add_faults(F_HOSTILE, sent);
    CHECK(sent > 2500);
    CHECK_MSG_(kill(udp_agent.pid, 0) == 0 && waitpid(udp_agent.pid, NULL, WNOHANG) == 0,
               "runicosd died under hostile frames");
    CHECK_EQ_INT(check_device(&direct, "hostile frames"), cur);
}

/* ---- serial ---- */

static hx_agent serial_agent;
static hx_bridge bridge;
static bool serial_console; /* this pass keeps the console framing (else: binary, negotiated) */

/* The agent's line through the bridge (unpaced; 921600 sizes hmr's timeouts). */
static rune_hmr_target serial_target(void)
{
    rune_hmr_target t = hx_serial_target("s", bridge.path_b, 921600);
    t.console = serial_console;
    return t;
}

static const char *framing_name(void)
{
    return serial_console ? "console" : "binary";
}

TEST(test_serial_cut_mid_upload)
{
    rune_hmr_target t = serial_target();
    int cur = check_device(&t, "setup");
    for (int round = 0; round < 3 && cur >= 0; round++) {
        int next = 1 - cur;
        size_t at = hx_range(rune_len[next] / 10, rune_len[next]);
        atomic_store(&bridge.to_agent, 0);
        atomic_store(&bridge.cut_after, (long)at);
        rune_hmr_cast_result r;
        rune_error err;
        rune_status st = cast_until(&t, next, 200, 1, 0, 1, &r, &err);
        CHECK_MSG_(st == RUNE_E_TIMEOUT, "serial cut at %zu: cast gave %s: %s", at,
                   rune_status_name(st), err.msg);
        add_faults(F_SERIAL_CUT, 1);
        atomic_store(&bridge.cut, 0);
        CHECK_EQ_INT(check_device(&t, "serial cut"), cur);
        st = cast_until(&t, next, 500, 3, 3, 2, &r, &err);
        CHECK_OK(st, &err);
        CHECK_STR(r.framing, framing_name());
        CHECK_MSG_(r.resumed_from > 0,
                   "serial cut at %zu (%s): the next cast started over (%lu requests, %lu resyncs, "
                   "%lu rewinds, %lu reuploads)",
                   at, r.framing, r.n_requests, r.n_resyncs, r.n_rewinds, r.n_reuploads);
        cur = check_device(&t, "serial resume");
        CHECK_EQ_INT(cur, next);
    }
}

TEST(test_serial_corrupted_bytes)
{
    rune_hmr_target t = serial_target();
    int cur = check_device(&t, "setup");
    long before = atomic_load(&bridge.faults);
    atomic_store(&bridge.corrupt_every, 20000);
    for (int round = 0; round < 2 && cur >= 0; round++) {
        int next = 1 - cur;
        rune_hmr_cast_result r;
        rune_error err;
        rune_status st = cast_until(&t, next, 200, 4, 30, 4, &r, &err);
        CHECK_OK(st, &err);
        CHECK_STR(r.framing, framing_name());
        atomic_store(&bridge.corrupt_every, 0);
        cur = check_device(&t, "corrupted serial");
        CHECK_EQ_INT(cur, next);
        atomic_store(&bridge.corrupt_every, 20000);
    }
    atomic_store(&bridge.corrupt_every, 0);
    long n = atomic_load(&bridge.faults) - before;
    CHECK(n > 0);
    add_faults(F_SERIAL_FLIP, n);
}

/* The agent killed around the install over its serial line (the bridge kills it when the bytes
 * towards it reach a random point near the end of the upload, as the framing puts it on the
 * wire), restarted on the same store and line (which may still hold bytes of the old exchange). */
TEST(test_serial_sigkill_during_install)
{
    rune_hmr_target t = serial_target();
    int cur = check_device(&t, "setup");
    /* bytes on the wire per rune byte: binary frames ~1.01, base64 console lines ~1.41 */
    double wire = serial_console ? 1.41 : 1.01;
    int mid_cast = 0, landed_new = 0, kept_old = 0;
    for (int round = 0; round < 3 && cur >= 0; round++) {
        int next = 1 - cur;
        size_t len = (size_t)((double)rune_len[next] * wire);
        size_t at = hx_range(len - len / 25, len);
        atomic_store(&bridge.to_agent, 0);
        atomic_store(&bridge.kill_delay_us, (long)hx_range(0, 30000));
        atomic_store(&bridge.kill_pid, serial_agent.pid);
        long kills = atomic_load(&bridge.faults);
        atomic_store(&bridge.kill_at, (long)at);
        rune_hmr_cast_result r;
        rune_error err;
        (void)cast_until(&t, next, 200, 1, 0, 1, &r, &err);
        atomic_store(&bridge.kill_at, 0);
        mid_cast += atomic_load(&bridge.faults) > kills;
        hx_agent_kill(&serial_agent, SIGKILL); /* if it is still alive: a crash when idle */
        add_faults(F_SERIAL_KILL, 1);
        if (!hx_agent_spawn(&serial_agent)) {
            broken++;
            break;
        }
        int after = check_device(&t, "SIGKILL during install (serial)");
        landed_new += after == next;
        kept_old += after == cur;
        rune_status st = cast_until(&t, next, 500, 3, 3, 2, &r, &err);
        CHECK_OK(st, &err);
        CHECK_STR(r.framing, framing_name());
        cur = check_device(&t, "serial cast after restart");
        CHECK_EQ_INT(cur, next);
    }
    printf("serial SIGKILL rounds: killed mid-cast %d of 3; new rune active after restart %d, old "
           "rune %d\n",
           mid_cast, landed_new, kept_old);
}

/* RUN with the wall time of each test (the suite must stay well under a minute). */
#define TIMED(name)                                                                                \
    do {                                                                                           \
        uint64_t t0_ = hx_now_ms();                                                                \
        RUN(name);                                                                                 \
        printf("%-34s %6.2f s\n", #name, (double)(hx_now_ms() - t0_) / 1000.0);                    \
    } while (0)

/* Line noise: random bytes, broken frames and console text on the agent's serial line. */
TEST(test_serial_noise)
{
    rune_hmr_target t = serial_target();
    int cur = check_device(&t, "setup");
    long total = 0;
    for (int i = 0; i < 200; i++) {
        uint8_t buf[300];
        size_t n = 0;
        int kind = (int)(hx_rand() % 5);
        if (kind == 0) { /* noise */
            n = hx_range(1, sizeof buf);
            for (size_t k = 0; k < n; k++)
                buf[k] = (uint8_t)hx_rand();
        } else { /* a framed hostile read (console or binary framing), maybe with bytes flipped
                    after framing */
            uint8_t msg[256];
            size_t mlen = hostile_frame(msg, sizeof msg);
            rune_status fst = kind <= 2
                                  ? rune_smp_serial_frame(msg, mlen, buf, sizeof buf, &n, NULL)
                                  : rune_smp_bin_frame(msg, mlen, buf, sizeof buf, &n, NULL);
            if (fst != RUNE_OK) n = 0;
            if ((kind == 2 || kind == 4) && n)
                buf[hx_rand() % n] ^= (uint8_t)(1u << (hx_rand() % 8));
        }
        if (n && write(bridge.ma, buf, n) > 0) total++; /* straight into the agent's line */
    }
    (void)!write(bridge.ma, "\n", 1);
    add_faults(F_SERIAL_NOISE, total);
    CHECK(total > 150);
    CHECK_MSG_(kill(serial_agent.pid, 0) == 0 && waitpid(serial_agent.pid, NULL, WNOHANG) == 0,
               "runicosd died under serial line noise");
    CHECK_EQ_INT(check_device(&t, "serial noise"), cur);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *seed_env = getenv("HAMMER_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20261122u;
    hx_seed(seed);
    printf("seed %llu\n", (unsigned long long)seed);
    if (sodium_init() < 0) return 1;
    runes[0] = hx_rune("good", "blink", "1.0", NULL, 60000, &rune_len[0]);
    runes[1] = hx_rune("good", "blink", "2.0", NULL, 90000, &rune_len[1]);
    trap = hx_rune("trap", "trapper", "1.0", NULL, 0, &trap_len);
    CHECK(runes[0] && runes[1] && trap);
    if (!runes[0] || !runes[1] || !trap) return test_report();
    for (int k = 0; k < 2; k++)
        crypto_hash_sha256(sha[k], runes[k], rune_len[k]); /* as the upload carries it */

    bool up = hx_agent_start(&udp_agent, "dev-udp", NULL) && hx_proxy_start(&proxy, udp_agent.port);
    CHECK(up);
    rune_hmr_target direct = hx_udp_target("direct", udp_agent.port);
    rune_hmr_cast_result r;
    rune_error err;
    if (up) {
        CHECK_OK(cast_until(&direct, 0, 1000, 3, 2, 1, &r, &err), &err);
        TIMED(test_udp_cut_mid_upload);
        TIMED(test_cli_cut_and_resume);
        TIMED(test_udp_lossy_link);
        TIMED(test_sigkill_during_install);
        TIMED(test_trapping_rune_rolled_back);
        TIMED(test_hostile_frames);
        hx_proxy_stop(&proxy);
    }
    hx_agent_stop(&udp_agent);

    for (int pass = 0; pass < 2; pass++) {
        serial_console = pass == 1;
        printf("serial, %s framing:\n", framing_name());
        up = hx_bridge_start(&bridge, 0) &&
             hx_agent_start(&serial_agent, "dev-serial", bridge.path_a);
        CHECK(up);
        if (up) {
            rune_hmr_target t = serial_target();
            CHECK_OK(cast_until(&t, 0, 1000, 3, 2, 1, &r, &err), &err);
            CHECK_STR(r.framing, framing_name());
            TIMED(test_serial_cut_mid_upload);
            TIMED(test_serial_corrupted_bytes);
            TIMED(test_serial_noise);
            TIMED(test_serial_sigkill_during_install);
        }
        hx_agent_stop(&serial_agent);
        hx_bridge_stop(&bridge);
    }

    for (int k = 0; k < F_KINDS; k++)
        printf("  %-44s %6ld\n", fault_names[k], fault_count[k]);
    printf("faults injected: %ld, devices broken: %ld (device checks: %ld)\n", faults, broken,
           checks);
    CHECK_EQ_INT(broken, 0);
    for (int k = 0; k < F_KINDS; k++)
        CHECK_MSG_(fault_count[k] > 0, "no fault of kind \"%s\" was injected", fault_names[k]);
    rune_free(runes[0]);
    rune_free(runes[1]);
    rune_free(trap);
    return test_report();
}

/*
 * test_hammer_cast.c - Hammer against real runicosd processes on this machine: two agents on UDP
 * loopback and one on a pty (through the bridge). Cast, verify, run, read metrics, roll back,
 * stop and start through the library, and the same through the hmr command line (ls, cast,
 * status, metrics, logs, exit codes).
 */
#include "hammer_fixture.h"

static hx_agent agents[3];
static hx_bridge bridge;
static rune_hmr_target targets[3];
static uint8_t *v1, *v2, *img;
static size_t v1_len, v2_len, img_len;
static char tmpdir[64];

static bool setup(void)
{
    v1 = hx_rune("good", "blink", "1.0", NULL, 20000, &v1_len);
    v2 = hx_rune("good", "blink", "2.0", NULL, 30000, &v2_len);
    img = hx_rune("good", "camera", "1.0", "IMAGE", 0, &img_len);
    CHECK(v1 && v2 && img);
    if (!hx_bridge_start(&bridge, 0)) {
        CHECK_MSG_(0, "pty bridge: %s", strerror(errno));
        return false;
    }
    bool ok = hx_agent_start(&agents[0], "dev-a", NULL) &&
              hx_agent_start(&agents[1], "dev-b", NULL) &&
              hx_agent_start(&agents[2], "dev-s", bridge.path_a);
    targets[0] = hx_udp_target("a", agents[0].port);
    targets[1] = hx_udp_target("b", agents[1].port);
    targets[2] = hx_serial_target("s", bridge.path_b, 115200);
    snprintf(tmpdir, sizeof tmpdir, "%s", agents[0].dir);
    return ok && v1 && v2 && img;
}

static void teardown(void)
{
    for (int i = 0; i < 3; i++)
        hx_agent_stop(&agents[i]);
    hx_bridge_stop(&bridge);
    rune_free(v1);
    rune_free(v2);
    rune_free(img);
}

typedef struct ev_log {
    int ends[RUNE_HMR_STEP_COUNT], failed[RUNE_HMR_STEP_COUNT], progress;
    char last[RUNE_HMR_STEP_COUNT][256];
} ev_log;

static void on_ev(void *ud, const rune_hmr_event *ev)
{
    ev_log *l = ud;
    if (ev->kind == RUNE_HMR_EV_PROGRESS) l->progress++;
    if (ev->kind != RUNE_HMR_EV_END) return;
    l->ends[ev->step]++;
    if (!ev->ok) l->failed[ev->step]++;
    snprintf(l->last[ev->step], sizeof l->last[ev->step], "%s", ev->detail);
}

/* Cast v1 to every device: each step reported, confirmed, running, metrics counting. */
TEST(test_cast_all_devices)
{
    for (int i = 0; i < 3; i++) {
        rune_hmr_conn c;
        if (!hx_connect(&targets[i], 1000, &c)) continue;
        ev_log l;
        memset(&l, 0, sizeof l);
        rune_hmr_cast_opts o = {on_ev, &l, false, 2, 8000};
        rune_hmr_cast_result r;
        rune_error err;
        rune_status st = rune_hmr_cast(&c, v1, v1_len, &o, &r, &err);
        CHECK_OK(st, &err);
        CHECK(r.installed && r.confirmed && !r.rolled_back);
        CHECK_STR(r.name, "blink");
        CHECK_STR(r.state, "running");
        CHECK_STR(r.device, agents[i].name);
        CHECK_STR(r.provider, "linux:x86_64");
        CHECK_EQ_INT(l.ends[RUNE_HMR_STEP_CAPABILITY], 1);
        CHECK_CONTAINS(l.last[RUNE_HMR_STEP_CAPABILITY], "offered (seed:7)");
        CHECK(l.progress >= 2); /* more than one chunk */
        for (int s = 0; s < RUNE_HMR_STEP_COUNT; s++)
            CHECK_EQ_INT(l.failed[s], 0);
        /* it runs: inferences and capability reads grow */
        uint64_t n1 = 0, n2 = 0, reads = 0;
        CHECK_OK(rune_hmr_metric(&c, "blink", "inferences", &n1, &err), &err);
        hx_sleep_ms(150);
        CHECK_OK(rune_hmr_metric(&c, "blink", "inferences", &n2, &err), &err);
        CHECK_OK(rune_hmr_metric(&c, "blink", "cap_reads", &reads, &err), &err);
        CHECK(n2 > n1);
        CHECK(reads >= n1);
        char *json = NULL;
        CHECK_OK(rune_hmr_metrics_json(&c, NULL, &json, &err), &err);
        CHECK_CONTAINS(json, "\"latency_us\"");
        rune_free(json);
        rune_hmr_disconnect(&c);
    }
}

/* v2 over v1, then a manual rollback to v1; stop and start. */
TEST(test_upgrade_rollback_stop_start)
{
    for (int i = 0; i < 3; i++) {
        rune_hmr_conn c;
        if (!hx_connect(&targets[i], 1000, &c)) continue;
        rune_hmr_cast_opts o = {NULL, NULL, false, 2, 8000};
        rune_hmr_cast_result r;
        rune_error err;
        CHECK_OK(rune_hmr_cast(&c, v2, v2_len, &o, &r, &err), &err);
        CHECK_STR(r.version, "2.0");
        rune_hmr_status s;
        CHECK_OK(rune_hmr_get_status(&c, &s, &err), &err);
        CHECK_EQ_INT(s.n, 1);
        CHECK_STR(s.runes[0].version, "2.0");
        CHECK_STR(s.previous, "blink");
        char name[64];
        CHECK_OK(rune_hmr_rollback(&c, name, sizeof name, &err), &err);
        CHECK_STR(name, "blink");
        CHECK_OK(rune_hmr_get_status(&c, &s, &err), &err);
        CHECK_STR(s.runes[0].version, "1.0");
        CHECK(hx_wait_state(&c, "blink", "running", 3000));
        char state[16];
        CHECK_OK(rune_hmr_start_stop(&c, false, NULL, state, sizeof state, &err), &err);
        CHECK_STR(state, "stopped");
        uint64_t a = 0, b = 0;
        rune_hmr_metric(&c, "blink", "inferences", &a, &err);
        hx_sleep_ms(100);
        rune_hmr_metric(&c, "blink", "inferences", &b, &err);
        CHECK_EQ_INT(a, b); /* stopped: no calls */
        CHECK_OK(rune_hmr_start_stop(&c, true, NULL, state, sizeof state, &err), &err);
        CHECK(hx_wait_state(&c, "blink", "running", 3000));
        /* a start naming another rune is refused */
        CHECK_STATUS(rune_hmr_start_stop(&c, true, "nope", state, sizeof state, &err),
                     RUNE_E_NOT_FOUND);
        rune_hmr_disconnect(&c);
    }
}

/* A rune needing IMAGE: hmr refuses before sending anything; with --force the device refuses it
 * at the end of the upload, and the old rune keeps running. */
TEST(test_capability_refusal)
{
    rune_hmr_conn c;
    if (!hx_connect(&targets[0], 1000, &c)) return;
    ev_log l;
    memset(&l, 0, sizeof l);
    rune_hmr_cast_opts o = {on_ev, &l, false, 0, 8000};
    rune_hmr_cast_result r;
    rune_error err;
    CHECK_STATUS(rune_hmr_cast(&c, img, img_len, &o, &r, &err), RUNE_E_DENIED);
    CHECK_CONTAINS(err.msg, "IMAGE");
    CHECK_EQ_INT(r.n_requests, 0);
    CHECK_EQ_INT(l.failed[RUNE_HMR_STEP_CAPABILITY], 1);
    CHECK_CONTAINS(l.last[RUNE_HMR_STEP_CAPABILITY], "not offered");
    o.force = true;
    memset(&l, 0, sizeof l);
    CHECK_STATUS(rune_hmr_cast(&c, img, img_len, &o, &r, &err), RUNE_E_DENIED);
    CHECK(r.n_requests > 0);
    CHECK_CONTAINS(err.msg, "refused");
    CHECK_CONTAINS(err.msg, "IMAGE");
    CHECK_EQ_INT(l.failed[RUNE_HMR_STEP_VERIFY_RUNE], 1);
    rune_hmr_status s;
    CHECK_OK(rune_hmr_get_status(&c, &s, &err), &err);
    CHECK_STR(s.runes[0].name, "blink");
    CHECK(hx_wait_state(&c, "blink", "running", 2000));
    /* not a rune at all */
    uint8_t junk[64] = {0, 'a', 's', 'm', 1, 0, 0, 0, 9};
    CHECK_STATUS(rune_hmr_cast(&c, junk, sizeof junk, &o, &r, &err), RUNE_E_MALFORMED);
    rune_hmr_disconnect(&c);
}

/* Allocation failures anywhere in connect + cast: NOMEM with a message, nothing leaked, and the
 * device still runs its rune. */
TEST(test_cast_nomem)
{
    int nomem = 0, ok = 0;
    for (long n = 0; n < 2000 && !ok; n++) {
        long live = rune_alloc_live();
        rune_error err;
        rune_hmr_conn c;
        rune_alloc_fail_after(n);
        rune_status st = rune_hmr_connect(&targets[0], 1000, &c, &err);
        if (st == RUNE_OK) {
            rune_hmr_cast_opts o = {NULL, NULL, false, 0, 8000};
            rune_hmr_cast_result r;
            st = rune_hmr_cast(&c, v1, v1_len, &o, &r, &err);
            rune_hmr_disconnect(&c);
        }
        rune_alloc_fail_after(-1);
        if (st == RUNE_E_NOMEM) {
            nomem++;
            CHECK_CONTAINS(err.msg, "memory");
        } else if (st == RUNE_E_MALFORMED && strstr(err.msg, "manifest: not valid JSON")) {
            /* the container's manifest reader (cJSON through rune_malloc) cannot tell an
             * allocation failure from bad JSON: reported to its owner */
            nomem++;
        } else {
            CHECK_OK(st, &err);
            ok = 1;
        }
        CHECK_EQ_INT(rune_alloc_live(), live);
    }
    CHECK_MSG_(nomem >= 2 && ok, "%d allocation failures seen, cast ok: %d", nomem, ok);
    rune_hmr_conn c;
    if (hx_connect(&targets[0], 1000, &c)) {
        CHECK(hx_wait_state(&c, "blink", "running", 3000));
        rune_hmr_disconnect(&c);
    }
}

/* ---- the command line ---- */

static int run_hmr(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048], args[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", HMR_PATH, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(test_cli)
{
    char cfg[128], text[1024], rune_path[128], out[16384];
    snprintf(cfg, sizeof cfg, "%s/targets", tmpdir);
    int n = snprintf(text, sizeof text,
                     "# test targets\n"
                     "a udp 127.0.0.1:%u\n"
                     "b udp 127.0.0.1:%u\n"
                     "s serial %s 115200\n"
                     "gone udp 127.0.0.1:9   # nobody there\n",
                     agents[0].port, agents[1].port, bridge.path_b);
    hx_write(cfg, text, (size_t)n);
    snprintf(rune_path, sizeof rune_path, "%s/blink2.rune", tmpdir);
    hx_write(rune_path, v2, v2_len);

    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets ls --config %s --no-serial --no-broadcast", cfg),
                 0);
    CHECK_CONTAINS(out, "Target");
    CHECK_CONTAINS(out, "Available");
    CHECK_CONTAINS(out, "dev-a");
    CHECK_CONTAINS(out, "dev-s");
    CHECK_EQ_INT(
        run_hmr(out, sizeof out, "targets ls --config %s --no-serial --no-broadcast --json", cfg),
        0);
    CHECK_CONTAINS(out, "{\"target\":\"b\",\"type\":\"udp\"");
    CHECK_CONTAINS(out, "\"name\":\"dev-b\",\"available\":true");
    CHECK_CONTAINS(out, "{\"target\":\"gone\",\"type\":\"udp\",\"address\":\"127.0.0.1:9\","
                        "\"name\":\"\",\"available\":false");
    /* a scan of a loopback port range around one agent finds it; a config with comments only */
    char empty[128];
    snprintf(empty, sizeof empty, "%s/empty-targets", tmpdir);
    hx_write(empty, "# nothing\n", 10);
    unsigned port = agents[0].port;
    CHECK_EQ_INT(
        run_hmr(out, sizeof out,
                "targets ls --config %s --no-serial --no-broadcast --scan 127.0.0.1:%u-%u --json",
                empty, port - 3, port + 3),
        0);
    CHECK_CONTAINS(out, "\"name\":\"dev-a\"");
    CHECK(!strstr(out, "dev-b"));
    CHECK(!strstr(out, "\"available\":false")); /* silent network addresses are not listed */
    /* serial ports by glob, probed: the pty the bridge gives hmr leads to dev-s */
    CHECK_EQ_INT(run_hmr(out, sizeof out,
                         "targets ls --config %s --ports %s --probe-serial --no-broadcast --json",
                         empty, bridge.path_b),
                 0);
    CHECK_CONTAINS(out, "\"type\":\"serial\"");
    CHECK_CONTAINS(out, "\"name\":\"dev-s\",\"available\":true,\"source\":\"serial\"");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets ls --config %s --scan 127.0.0.1:9-2", empty), 2);
    CHECK_CONTAINS(out, "--scan wants HOST:LO-HI");

    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets cast -t b %s --config %s", rune_path, cfg), 0);
    CHECK_CONTAINS(out, "verifying provider");
    CHECK_CONTAINS(out, "dev-b (linux:x86_64)");
    CHECK_CONTAINS(out, "capability");
    CHECK_CONTAINS(out, "RAND rng: offered");
    CHECK_CONTAINS(out, "uploading");
    CHECK_CONTAINS(out, "confirmed");
    CHECK_EQ_INT(
        run_hmr(out, sizeof out, "targets cast -t s %s --config %s --json", rune_path, cfg), 0);
    CHECK_CONTAINS(out, "\"ok\":true");
    CHECK_CONTAINS(out, "\"device\":\"dev-s\"");
    CHECK_CONTAINS(out, "\"confirmed\":true");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets status -t b --config %s", cfg), 0);
    CHECK_CONTAINS(out, "blink");
    CHECK_CONTAINS(out, "2.0");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets status -t s --config %s --json", cfg), 0);
    CHECK_CONTAINS(out, "\"device\":\"dev-s\"");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets metrics -t b --config %s", cfg), 0);
    CHECK_CONTAINS(out, "Inferences");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets metrics -t b --config %s --prometheus", cfg), 0);
    CHECK_CONTAINS(out, "blink");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets logs -t b --config %s --json", cfg), 0);
    CHECK_CONTAINS(out, "\"entries\":[");
    CHECK_CONTAINS(out, "confirmed: blink 2.0"); /* the agent's notice of this cast */
    /* the latest 2 entries only, then everything from 0 (the first one is the agent's start) */
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets logs -t b --config %s --max 2", cfg), 0);
    CHECK(!strstr(out, " up; active rune"));
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets logs -t b --config %s --since 0", cfg), 0);
    CHECK_CONTAINS(out, "dev-b (linux:x86_64) up; active rune");
    /* --follow prints what happens meanwhile, as JSON lines */
    CHECK_EQ_INT(run_hmr(out, sizeof out,
                         "targets logs -t b --config %s --follow --for 600 --json & sleep 0.2; "
                         "%s targets stop -t b --config %s >/dev/null; wait",
                         cfg, HMR_PATH, cfg),
                 0);
    CHECK_CONTAINS(out, "\"msg\":\"stop: blink\"}\n");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets start -t b --config %s", cfg), 0);
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets rollback -t b --config %s --json", cfg), 0);
    CHECK_CONTAINS(out, "\"active\":\"blink\"");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets stop -t 127.0.0.1:%u", agents[1].port), 0);
    CHECK_CONTAINS(out, "stopped");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets start -t 127.0.0.1:%u", agents[1].port), 0);

    /* errors: usage 2, failures 1, each with a message */
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets cast --config %s", cfg), 2);
    CHECK_CONTAINS(out, "needs -t ID");
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets frobnicate"), 2);
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets status -t nowhere --config %s", cfg), 1);
    CHECK_CONTAINS(out, "no target \"nowhere\"");
    CHECK_EQ_INT(
        run_hmr(out, sizeof out, "targets status -t gone --config %s --timeout 100 --json", cfg),
        1);
    CHECK_CONTAINS(out, "\"ok\":false");
    CHECK_EQ_INT(
        run_hmr(out, sizeof out, "targets cast -t b %s/missing.rune --config %s", tmpdir, cfg), 1);
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets ls --config %s/nope", tmpdir), 1);
    CHECK_EQ_INT(run_hmr(out, sizeof out, "targets cast --help"), 0);
    CHECK_CONTAINS(out, "usage: hmr targets cast");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    hx_seed(1);
    if (setup()) {
        RUN(test_cast_all_devices);
        RUN(test_upgrade_rollback_stop_start);
        RUN(test_capability_refusal);
        RUN(test_cast_nomem);
        RUN(test_cli);
    }
    teardown();
    return test_report();
}

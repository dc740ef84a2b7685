/*
 * Real runes end to end through the agent, built with rune_build (Runefile -> generated C ->
 * wasm32 -> .rune with its model): examples/sine cast over UDP to an agent whose RAND capability is
 * seeded, run until confirmed, its outputs in the log ring; examples/microspeech cast to a device
 * whose SOUND comes from yes_1000ms.wav hears "yes" (../shared/testdata/README), call after call.
 */
#include "agent_fixture.h"
#include "rune/compiler.h"
#include "rune/saga.h"

typedef struct outs {
    int n, good;
} outs;

/* "out: {...,"data":[y]}" lines: y must be a sine value (|y| <= 1.1). */
static void out_cb(void *ud, const rune_smp_log_entry *e)
{
    outs *o = ud;
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s", (int)e->msg_len, e->msg);
    if (strncmp(msg, "out: ", 5) != 0) return;
    o->n++;
    const char *d = strstr(msg, "\"data\":[");
    if (d && fabs(atof(d + 8)) <= 1.1) o->good++;
}

typedef struct stats_of {
    int n;
    rune_saga_stats st;
} stats_of;

static void stats_cb(void *ud, const rune_saga_stats *st)
{
    stats_of *s = ud;
    s->st = *st;
    s->n++;
}

TEST(sine_built_cast_run_and_measured)
{
    fx_dev d;
    fx_dev_init(&d, "dev-sine");
    char rf[512], out[256], cache[256];
    snprintf(rf, sizeof rf, "%s/examples/sine/Runefile", RUNE_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/sine.rune", d.dir);
    snprintf(cache, sizeof cache, "%s/cache", d.dir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    rune_build_result br;
    rune_error err;
    rune_status st = rune_build(&o, &br, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) return;
    size_t len = 0;
    uint8_t *rune = NULL;
    CHECK_OK(rune_file_read(out, &rune, &len, &err), &err);

    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    CHECK_OK(fx_upload(&c, rune, len, &err), &err);
    CHECK(fx_wait_state(&c, "sine", "running", 3000));
    fx_sleep_ms(300);
    outs ou = {0, 0};
    uint64_t next = 0, dropped = 0;
    CHECK_OK(rune_smp_rune_logs(&c.c, 0, 64, "sine", out_cb, &ou, &next, &dropped, &err), &err);
    CHECK(ou.n >= 3);
    CHECK_EQ_INT(ou.good, ou.n);
    /* metrics read after the logs: at least one inference per output line seen, each with a
     * latency, one capability read (RAND) each, a model arena and linear memory counted */
    CHECK_OK(rune_smp_rune_cmd(&c.c, RUNE_SMP_RUNE_METRICS, "sine", &err), &err);
    stats_of sm = {0};
    uint64_t up = 0;
    CHECK_OK(rune_saga_metrics_parse(&c.c.rsp->doc, &up, stats_cb, &sm, &err), &err);
    CHECK_EQ_INT(sm.n, 1);
    CHECK(sm.st.inferences >= (uint64_t)ou.n);
    CHECK_EQ_INT(sm.st.lat_count, sm.st.inferences);
    CHECK(sm.st.p50 > 0 && sm.st.p50 <= sm.st.p90 && sm.st.p90 <= sm.st.p99);
    CHECK(sm.st.cap_reads >= sm.st.inferences);
    CHECK_EQ_INT(sm.st.traps, 0);
    CHECK(sm.st.mem_bytes > 65536);
    CHECK(up > 0);
    rune_smp_image_slot sl[2];
    size_t n = 0;
    CHECK_OK(rune_smp_image_state(&c.c, NULL, 0, false, sl, 2, &n, &err), &err);
    CHECK(n == 1 && sl[0].confirmed);
    rune_free(rune);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

typedef struct heard {
    int n, yes;
    const char *want;
} heard;

static void heard_cb(void *ud, const rune_smp_log_entry *e)
{
    heard *h = ud;
    if (e->msg_len < 5 || memcmp(e->msg, "out: ", 5) != 0) return;
    h->n++;
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s", (int)e->msg_len, e->msg);
    if (strstr(msg, h->want)) h->yes++;
}

/* microspeech on a device whose SOUND is a file (wav) or a simulated signal; every output must be
 * the label `want`. */
static void microspeech_on(const char *wav, const char *signal, const char *want)
{
    fx_dev d;
    fx_dev_init(&d, "dev-mic");
    d.prof.caps[0].kind = 2; /* SOUND */
    if (wav) {
        snprintf(d.prof.caps[0].path, sizeof d.prof.caps[0].path, "%s", SHARED(wav));
    } else {
        snprintf(d.prof.caps[0].source, sizeof d.prof.caps[0].source, "signal");
        snprintf(d.prof.caps[0].signal, sizeof d.prof.caps[0].signal, "%s", signal);
        d.prof.caps[0].path[0] = '\0';
    }
    d.prof.rate_hz = 20; /* the rune's own rate would be once a second */
    char rf[512], out[256], cache[256];
    snprintf(rf, sizeof rf, "%s/examples/microspeech/Runefile", RUNE_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/microspeech.rune", d.dir);
    snprintf(cache, sizeof cache, "%s/cache", d.dir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    rune_build_result br;
    rune_error err;
    rune_status st = rune_build(&o, &br, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) return;
    size_t len = 0;
    uint8_t *rune = NULL;
    CHECK_OK(rune_file_read(out, &rune, &len, &err), &err);
    fx_srv srv;
    if (!fx_srv_start(&srv, &d.prof, NULL)) return;
    fx_cli c;
    if (!fx_cli_open(&c, srv.port)) return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(fx_upload(&c, rune, len, &err), &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* informational: upload + checks + install of a real rune over UDP loopback */
    printf("microspeech cast: %zu bytes in %.1f ms (%.1f MB/s incl. verify and install)\n", len,
           secs * 1e3, (double)len / secs / 1e6);
    CHECK(fx_wait_state(&c, "microspeech", "running", 3000));
    heard h = {0, 0, want};
    uint64_t next = 0, dropped = 0;
    for (int t = 0; t < 100 && h.n < 3; t++) {
        fx_sleep_ms(50);
        h.n = h.yes = 0;
        h.want = want;
        CHECK_OK(
            rune_smp_rune_logs(&c.c, 0, 64, "microspeech", heard_cb, &h, &next, &dropped, &err),
            &err);
    }
    CHECK(h.n >= 3);
    CHECK_EQ_INT(h.yes, h.n);
    rune_free(rune);
    fx_cli_close(&c);
    fx_srv_stop(&srv);
    fx_rmtree(d.dir);
}

TEST(microspeech_hears_yes)
{
    microspeech_on("testdata/yes_1000ms.wav", NULL, "[\"yes\"]");
}
TEST(microspeech_hears_silence_from_a_simulated_signal)
{
    microspeech_on(NULL, "silence", "[\"silence\"]");
}

int main(void)
{
    RUN(sine_built_cast_run_and_measured);
    RUN(microspeech_hears_yes);
    RUN(microspeech_hears_silence_from_a_simulated_signal);
    return test_report();
}

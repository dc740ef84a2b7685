/*
 * test_hammer_e2e.c - a real rune end to end: examples/sine (the TFLite Micro hello-world model
 * from ../shared/models) built with rune_build, cast with the hmr command line onto runicosd
 * (RAND seeded 7), and its outputs read back from the device's log ring: each y must be the
 * model's sin(x) for the device's consecutive random x (x = the provider's float mod 2*pi).
 */
#include <cjson/cJSON.h>

#include "hammer_fixture.h"
#include "rune/compiler.h"

/* The RAND provider's float sequence (splitmix64, as runicos' rand provider and test_examples). */
static float rand_f32(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f;
}

typedef struct ys {
    double v[64];
    int n;
} ys;

static void on_log(void *ud, const rune_smp_log_entry *e)
{
    ys *y = ud;
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s", (int)e->msg_len, e->msg);
    const char *p = strstr(msg, "\"data\":[");
    if (p && y->n < 64) y->v[y->n++] = strtod(p + 8, NULL);
}

TEST(test_sine_cast_and_run)
{
    hx_agent a;
    if (!hx_agent_start(&a, "dev-sine", NULL)) return;
    char rf[512], out[256], cache[256];
    snprintf(rf, sizeof rf, "%s/examples/sine/Runefile", RUNE_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/sine.rune", a.dir);
    snprintf(cache, sizeof cache, "%s/cache", a.dir);
    rune_build_options o = {0};
    o.runefile = rf;
    o.output = out;
    o.cache_dir = cache;
    rune_build_result r;
    rune_error err;
    rune_status st = rune_build(&o, &r, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) {
        hx_agent_stop(&a);
        return;
    }
    char cmd[1024], text[16384];
    snprintf(cmd, sizeof cmd, "%s targets cast -t 127.0.0.1:%u %s --json", HMR_PATH, a.port, out);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(text, 1, sizeof text - 1, p) : 0;
    text[n] = 0;
    int rc = p ? pclose(p) : -1;
    CHECK_EQ_INT(WEXITSTATUS(rc), 0);
    cJSON *j = cJSON_Parse(text);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "confirmed")));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "rune")), "sine");
    cJSON *steps = cJSON_GetObjectItem(j, "steps");
    CHECK(cJSON_GetArraySize(steps) >= 6); /* rune, provider, capability, upload, install, start */
    cJSON_Delete(j);

    /* the outputs, from the device's log ring */
    rune_hmr_target t = hx_udp_target("sine", a.port);
    rune_hmr_conn c;
    if (hx_connect(&t, 1000, &c)) {
        hx_sleep_ms(300);
        ys y = {{0}, 0};
        uint64_t next = 0, dropped = 0;
        for (uint64_t since = 0; y.n < 10;) {
            if (rune_smp_rune_logs(&c.c, since, 16, "sine", on_log, &y, &next, &dropped, &err) !=
                    RUNE_OK ||
                next == since)
                break;
            since = next;
        }
        CHECK(y.n >= 10);
        /* find where the device's random sequence was when these calls ran, then every
         * following output must match */
        int found = -1;
        float xs[400];
        uint64_t s = 7;
        for (int i = 0; i < 400; i++)
            xs[i] = rand_f32(&s);
        for (int off = 0; off + y.n <= 400 && found < 0; off++) {
            int ok = 1;
            for (int k = 0; k < y.n && ok; k++)
                ok = fabs(y.v[k] - sin(fmod((double)xs[off + k], 6.2831855))) <= 0.1;
            if (ok) found = off;
        }
        printf("%d outputs of the device match sin(x) of its random inputs %d.. (first y %.4f)\n",
               y.n, found, y.n ? y.v[0] : 0.0);
        CHECK_MSG_(found >= 0, "the %d outputs (first %g) are not sin of the device's inputs", y.n,
                   y.n ? y.v[0] : 0.0);
        uint64_t inf = 0;
        CHECK_OK(rune_hmr_metric(&c, "sine", "inferences", &inf, &err), &err);
        CHECK(inf >= (uint64_t)y.n);
        rune_hmr_disconnect(&c);
    }
    hx_agent_stop(&a);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_sine_cast_and_run);
    return test_report();
}

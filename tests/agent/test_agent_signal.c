/*
 * Simulated-signal providers: a sine has the samples sin() gives, phase carried across readings;
 * noise stays within its amplitude and repeats with its seed; silence is zeros; accel rows are
 * x, y on a circle and gravity on z; bad parameters and small buffers are refused with a message.
 */
#include "agent_fixture.h"
#include "rune/abi.h"
#include "rune/runicos.h"

static rune_status open_with(rune_cap_provider *p, const char *params, void **state,
                             rune_error *err)
{
    rune_cap_params cp;
    rune_status st = rune_cap_params_parse(p->kind, params, strlen(params), &cp, err);
    if (st != RUNE_OK) return st;
    return p->open(p, &cp, state, err);
}

static int16_t sample_at(const uint8_t *b, size_t i)
{
    return (int16_t)(uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

TEST(sine_sound)
{
    rune_cap_provider *p = NULL;
    rune_error err;
    CHECK_OK(rune_agent_cap_signal(RUNE_CAP_SOUND, "sine", 1000, 0.5, 0, &p, &err), &err);
    if (!p) return;
    CHECK_STR(p->source, "signal:sine 1000 Hz");
    void *st = NULL;
    CHECK_OK(open_with(p, "hz=8000\nsamples=60\n", &st, &err), &err);
    uint8_t buf[2 * 60];
    for (int r = 0; r < 3; r++) {
        CHECK_EQ_INT(p->read(st, buf, sizeof buf, &err), 120);
        int worst = 0;
        for (size_t i = 0; i < 60; i++) {
            double t = (double)(r * 60 + (int)i) / 8000.0;
            int want = (int)lround(0.5 * 32767.0 * sin(2 * 3.14159265358979323846 * 1000 * t));
            int d = abs(sample_at(buf, i) - want);
            if (d > worst) worst = d;
        }
        CHECK_MSG_(worst <= 1, "reading %d: off by %d", r, worst);
    }
    CHECK_EQ_INT(p->read(st, buf, 100, &err), RUNE_ABI_E_LIMIT);
    CHECK_CONTAINS(err.msg, "smaller than one reading");
    p->close(st);
    CHECK_STATUS(open_with(p, "hz=0\n", &st, &err), RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "hz=0");
    rune_cap_provider_free(p);
}

TEST(noise_and_silence)
{
    rune_cap_provider *p = NULL, *q = NULL, *z = NULL;
    rune_error err;
    CHECK_OK(rune_agent_cap_signal(RUNE_CAP_SOUND, "noise", 0, 0.25, 9, &p, &err), &err);
    CHECK_OK(rune_agent_cap_signal(RUNE_CAP_SOUND, "noise", 0, 0.25, 9, &q, &err), &err);
    CHECK_OK(rune_agent_cap_signal(RUNE_CAP_SOUND, "silence", 0, 0, 0, &z, &err), &err);
    if (!p || !q || !z) return;
    void *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(open_with(p, "samples=500\n", &a, &err), &err);
    CHECK_OK(open_with(q, "samples=500\n", &b, &err), &err);
    CHECK_OK(open_with(z, "samples=500\n", &c, &err), &err);
    uint8_t x[1000], y[1000], s[1000];
    CHECK_EQ_INT(p->read(a, x, sizeof x, &err), 1000);
    CHECK_EQ_INT(q->read(b, y, sizeof y, &err), 1000);
    CHECK_EQ_INT(z->read(c, s, sizeof s, &err), 1000);
    CHECK(memcmp(x, y, sizeof x) == 0); /* same seed, same noise */
    int lo = 0, hi = 0, zeros = 0;
    for (size_t i = 0; i < 500; i++) {
        int v = sample_at(x, i);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        zeros += sample_at(s, i) == 0;
    }
    CHECK(lo >= -8192 && hi <= 8192 && lo < -4000 && hi > 4000);
    CHECK_EQ_INT(zeros, 500);
    p->close(a);
    q->close(b);
    z->close(c);
    rune_cap_provider_free(p);
    rune_cap_provider_free(q);
    rune_cap_provider_free(z);
}

TEST(accel_circle_and_gravity)
{
    rune_cap_provider *p = NULL;
    rune_error err;
    CHECK_OK(rune_agent_cap_signal(RUNE_CAP_ACCEL, "sine", 2, 1.0, 0, &p, &err), &err);
    if (!p) return;
    void *st = NULL;
    CHECK_OK(open_with(p, "hz=100\nsamples=50\n", &st, &err), &err);
    float rows[50][3];
    CHECK_EQ_INT(p->read(st, (uint8_t *)rows, sizeof rows, &err), (int)sizeof rows);
    for (int i = 0; i < 50; i++) {
        double r = sqrt((double)rows[i][0] * rows[i][0] + (double)rows[i][1] * rows[i][1]);
        CHECK_NEAR(r, 9.80665, 1e-3);
        CHECK_NEAR(rows[i][2], 9.80665, 1e-5);
    }
    CHECK_NEAR(rows[0][0], 0, 1e-5);
    CHECK_NEAR(rows[0][1], 9.80665, 1e-4);
    p->close(st);
    rune_cap_provider_free(p);
}

TEST(bad_signals)
{
    rune_cap_provider *p = NULL;
    rune_error err;
    CHECK_STATUS(rune_agent_cap_signal(RUNE_CAP_IMAGE, "sine", 1, 1, 0, &p, &err),
                 RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "not image");
    CHECK_STATUS(rune_agent_cap_signal(RUNE_CAP_SOUND, "square", 1, 1, 0, &p, &err),
                 RUNE_E_INVALID);
    CHECK_CONTAINS(err.msg, "\"square\"");
    CHECK_STATUS(rune_agent_cap_signal(RUNE_CAP_SOUND, "sine", 1, 2, 0, &p, &err), RUNE_E_INVALID);
    CHECK_STATUS(rune_agent_cap_signal(RUNE_CAP_SOUND, "sine", 1, NAN, 0, &p, &err),
                 RUNE_E_INVALID);
    CHECK(p == NULL);
}

int main(void)
{
    long live = rune_alloc_live();
    RUN(sine_sound);
    RUN(noise_and_silence);
    RUN(accel_circle_and_gravity);
    RUN(bad_signals);
    test_current_ = "leaks";
    CHECK_EQ_INT(rune_alloc_live(), live);
    return test_report();
}

/*
 * sim_signal.c - simulated-signal capability providers for devices without the sensor (a profile's
 * {"kind": "sound", "signal": "sine", "freq_hz": 440}): SOUND and ACCEL readings computed on the
 * fly in the shape the rune declared.
 *
 *   SOUND  params hz (sample rate, default 16000), samples (default hz): i16 mono samples of
 *          amplitude * sin(2 pi freq t) ("sine"), uniform noise of that amplitude ("noise") or
 * zeros
 *          ("silence"); the phase goes on from one reading to the next.
 *   ACCEL  params hz (default 100), samples (default 128): f32 rows x, y, z in m/s^2 - a circle of
 *          radius `amplitude` g at freq in the x/y plane plus gravity on z ("sine"), noise of that
 *          amplitude around gravity ("noise"), or the device at rest ("silence").
 *
 * Workload: one reading per rune call, up to a few tens of thousands of samples; noise comes from a
 * seeded SplitMix64 so runs repeat.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/alloc.h"

#define SIM_PI 3.14159265358979323846
#define SIM_G 9.80665

enum { SIG_SINE = 0, SIG_NOISE, SIG_SILENCE };

typedef struct sim_src {
    int signal;
    double freq, amplitude;
    uint64_t seed;
    char source[48];
} sim_src;

typedef struct sim_cursor {
    const sim_src *src;
    int kind;
    uint32_t rate, samples;
    uint64_t n; /* samples produced so far: the phase */
    uint64_t rng;
} sim_cursor;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double uniform(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) / 4503599627370496.0 - 1.0;
}

static rune_status param_u32(const rune_cap_params *p, const char *key, uint32_t def, uint32_t *out,
                             rune_error *err)
{
    const char *v = rune_cap_param(p, key);
    *out = def;
    if (!v) return RUNE_OK;
    char *end = NULL;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x == 0 || x > 10u * 1000 * 1000)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s: parameter %s=%s is not a positive integer",
                        rune_abi_capability_name(p->kind), key, v);
    *out = (uint32_t)x;
    return RUNE_OK;
}

static rune_status sim_open(const rune_cap_provider *p, const rune_cap_params *params, void **state,
                            rune_error *err)
{
    const sim_src *src = p->ud;
    uint32_t rate, samples;
    uint32_t def_rate = p->kind == RUNE_CAP_SOUND ? 16000 : 100;
    rune_status st = param_u32(params, "hz", def_rate, &rate, err);
    if (st == RUNE_OK)
        st = param_u32(params, "samples", p->kind == RUNE_CAP_SOUND ? rate : 128, &samples, err);
    if (st != RUNE_OK) return st;
    sim_cursor *c = rune_calloc(1, sizeof *c);
    if (!c) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    c->src = src;
    c->kind = p->kind;
    c->rate = rate;
    c->samples = samples;
    c->rng = src->seed;
    *state = c;
    return RUNE_OK;
}

static double wave(sim_cursor *c, double phase_offset)
{
    const sim_src *s = c->src;
    double t = (double)c->n / c->rate;
    switch (s->signal) {
    case SIG_SINE: return s->amplitude * sin(2 * SIM_PI * s->freq * t + phase_offset);
    case SIG_NOISE: return s->amplitude * uniform(&c->rng);
    default: return 0;
    }
}

static int32_t sim_read(void *state, uint8_t *buf, size_t len, rune_error *err)
{
    sim_cursor *c = state;
    size_t unit = c->kind == RUNE_CAP_SOUND ? 2 : 12;
    size_t need = (size_t)c->samples * unit;
    if (len < need || need > 0x7fffffff) {
        RUNE_ERR(err, RUNE_E_LIMIT, "buffer of %zu bytes is smaller than one reading (%zu)", len,
                 need);
        return RUNE_ABI_E_LIMIT;
    }
    for (uint32_t i = 0; i < c->samples; i++, c->n++) {
        if (c->kind == RUNE_CAP_SOUND) {
            double v = wave(c, 0) * 32767.0;
            long s = lround(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
            uint16_t u = (uint16_t)(int16_t)s;
            buf[2 * i] = (uint8_t)(u & 0xff); /* little-endian, as the ABI says */
            buf[2 * i + 1] = (uint8_t)(u >> 8);
        } else {
            float xyz[3];
            xyz[0] = (float)(wave(c, 0) * SIM_G);
            xyz[1] = (float)(wave(c, SIM_PI / 2) * SIM_G);
            xyz[2] = (float)(SIM_G + (c->src->signal == SIG_NOISE ? wave(c, 0) * SIM_G : 0));
            memcpy(buf + 12 * (size_t)i, xyz, sizeof xyz);
        }
    }
    return (int32_t)need;
}

static void sim_close(void *state)
{
    rune_free(state);
}

static void sim_free(rune_cap_provider *p)
{
    if (!p) return;
    rune_free(p->ud);
    rune_free(p);
}

rune_status rune_agent_cap_signal(int kind, const char *signal, double freq_hz, double amplitude,
                                  uint64_t seed, rune_cap_provider **out, rune_error *err)
{
    if (!out) return RUNE_ERR(err, RUNE_E_ARG, "signal: NULL argument");
    *out = NULL;
    if (kind != RUNE_CAP_SOUND && kind != RUNE_CAP_ACCEL)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "signal: only sound and accel can be simulated, not %s",
                        rune_abi_capability_name(kind) ? rune_abi_capability_name(kind) : "?");
    int sig = !signal                          ? -1
              : strcmp(signal, "sine") == 0    ? SIG_SINE
              : strcmp(signal, "noise") == 0   ? SIG_NOISE
              : strcmp(signal, "silence") == 0 ? SIG_SILENCE
                                               : -1;
    if (sig < 0)
        return RUNE_ERR(err, RUNE_E_INVALID, "signal: \"%s\" is not sine, noise or silence",
                        signal ? signal : "(null)");
    if (!(amplitude >= 0 && amplitude <= 1) || !(freq_hz >= 0 && freq_hz <= 1e6))
        return RUNE_ERR(err, RUNE_E_INVALID,
                        "signal: amplitude must be in [0, 1] and freq_hz in [0, 1e6]");
    sim_src *s = rune_calloc(1, sizeof *s);
    rune_cap_provider *p = rune_calloc(1, sizeof *p);
    if (!s || !p) {
        rune_free(s);
        rune_free(p);
        return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    }
    s->signal = sig;
    s->freq = freq_hz;
    s->amplitude = amplitude;
    s->seed = seed;
    if (sig == SIG_SINE)
        snprintf(s->source, sizeof s->source, "signal:sine %g Hz", freq_hz);
    else
        snprintf(s->source, sizeof s->source, "signal:%s", signal);
    p->kind = kind;
    p->source = s->source;
    p->open = sim_open;
    p->read = sim_read;
    p->close = sim_close;
    p->free = sim_free;
    p->ud = s;
    *out = p;
    return RUNE_OK;
}

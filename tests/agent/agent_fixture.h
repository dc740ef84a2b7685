/*
 * agent_fixture.h - what the agent tests share: runes built from the test guests, a temporary
 * store directory, a device profile, an agent served from a thread, an SMP client over UDP. The
 * helpers the hammer tests need too are in tests/device_fixture.h.
 */
#ifndef AGENT_FIXTURE_H
#define AGENT_FIXTURE_H

#include "device_fixture.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rune/agent.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/smp.h"
#include "test.h"

/* A rune around guests/<wasm>.wasm named name/version, declaring one capability (kind NULL: none)
 * with args "key=value" pairs (NULL-terminated). rune_malloc'd. */
static inline uint8_t *fx_rune_pad(const char *wasm, const char *name, const char *version,
                                   const char *kind, const char *const *args, size_t pad,
                                   size_t *len)
{
    return dev_rune(AGENT_GUESTS, wasm, name, version, "input", kind, args, pad, 0, len);
}

static inline uint8_t *fx_rune(const char *wasm, const char *name, const char *version,
                               const char *kind, const char *const *args, size_t *len)
{
    return fx_rune_pad(wasm, name, version, kind, args, 0, len);
}

#define fx_raw_args ((const char *const[]){"length", "1", NULL})

/* The hostile guest reading one RAW byte a call: with the profile's RAW file of '.', it behaves. */
static inline uint8_t *fx_hostile(const char *version, size_t *len)
{
    return fx_rune("hostile", "hostile", version, "RAW", fx_raw_args, len);
}

#define fx_rmtree dev_rmtree
#define fx_write dev_write
#define fx_sleep_ms dev_sleep_ms

/* A temporary directory with raw.bin ('.' behave) and a profile: RAW from raw.bin, RAND seed 7,
 * store dir/store, 100 calls a second, probation 3, rollback after 3 failures, short backoff. */
typedef struct fx_dev {
    char dir[64];
    rune_agent_profile prof;
} fx_dev;

static inline void fx_dev_init(fx_dev *d, const char *name)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/agent-test-XXXXXX");
    if (!mkdtemp(d->dir)) perror("mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/raw.bin", d->dir);
    fx_write(path, ".", 1);
    rune_agent_profile_defaults(&d->prof);
    snprintf(d->prof.name, sizeof d->prof.name, "%s", name);
    snprintf(d->prof.store, sizeof d->prof.store, "%s/store", d->dir);
    d->prof.caps[0].kind = 5; /* RAW */
    snprintf(d->prof.caps[0].source, sizeof d->prof.caps[0].source, "file");
    snprintf(d->prof.caps[0].path, sizeof d->prof.caps[0].path, "%s", path);
    d->prof.caps[0].loop = true;
    d->prof.caps[1].kind = 1; /* RAND */
    snprintf(d->prof.caps[1].source, sizeof d->prof.caps[1].source, "seed");
    d->prof.caps[1].seed = 7;
    d->prof.ncaps = 2;
    d->prof.rate_hz = 100;
    d->prof.probation_calls = 3;
    d->prof.rollback_failures = 3;
    d->prof.backoff_min_ms = 5;
    d->prof.backoff_max_ms = 20;
}

/* An agent served by a thread until fx_srv_stop. */
typedef struct fx_srv {
    rune_agent *a;
    volatile sig_atomic_t stop;
    pthread_t th;
    uint16_t port;
} fx_srv;

static inline void *fx_srv_main(void *p)
{
    fx_srv *s = p;
    rune_agent_run(s->a, &s->stop, NULL);
    return NULL;
}

/* Create the agent on UDP 127.0.0.1:0 and start serving; false on failure (checked). */
static inline bool fx_srv_start(fx_srv *s, const rune_agent_profile *prof,
                                const rune_agent_options *opt)
{
    memset(s, 0, sizeof *s);
    rune_agent_profile p = *prof;
    snprintf(p.udp, sizeof p.udp, "127.0.0.1:0");
    rune_error err;
    rune_agent_options o = {0};
    if (opt) o = *opt;
    if (getenv("AGENT_ECHO")) {
        o.echo = stderr;
        o.echo_runes = true;
    }
    rune_status st = rune_agent_create(&p, &o, &s->a, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) return false;
    st = rune_agent_open_transports(s->a, &err);
    CHECK_OK(st, &err);
    if (st != RUNE_OK) {
        rune_agent_destroy(s->a);
        s->a = NULL;
        return false;
    }
    s->port = rune_agent_udp_port(s->a);
    CHECK_OK(rune_agent_metrics_listen(s->a, 0, &err), &err); /* Prometheus over HTTP as well */
    pthread_create(&s->th, NULL, fx_srv_main, s);
    return true;
}

static inline void fx_srv_stop(fx_srv *s)
{
    if (!s->a) return;
    s->stop = 1;
    pthread_join(s->th, NULL);
    rune_agent_destroy(s->a);
    s->a = NULL;
}

typedef struct fx_cli {
    rune_smp_transport *t;
    rune_smp_client c;
} fx_cli;

static inline bool fx_cli_open(fx_cli *c, uint16_t port)
{
    rune_error err;
    memset(c, 0, sizeof *c);
    rune_status st = rune_smp_udp_client("127.0.0.1", port, &c->t, &err);
    if (st == RUNE_OK) st = rune_smp_client_init(&c->c, c->t, &err);
    CHECK_OK(st, &err);
    c->c.timeout_ms = 2000;
    return st == RUNE_OK;
}

static inline void fx_cli_close(fx_cli *c)
{
    rune_smp_client_free(&c->c);
    rune_smp_transport_close(c->t);
}

/* Upload a whole image; returns the status (err filled). */
static inline rune_status fx_upload(fx_cli *c, const uint8_t *img, size_t len, rune_error *err)
{
    rune_smp_upload u;
    rune_status st = rune_smp_upload_begin(&u, &c->c, img, len, 0, err);
    if (st == RUNE_OK) st = rune_smp_upload_run(&u, &c->c, err);
    return st;
}

/* Status of the device's rune. */
typedef struct fx_status {
    int n;
    rune_smp_rune_info r;
} fx_status;

static inline void fx_status_cb(void *ud, const rune_smp_rune_info *r)
{
    fx_status *s = ud;
    s->r = *r;
    s->n++;
}

static inline rune_status fx_get_status(fx_cli *c, fx_status *s, rune_error *err)
{
    memset(s, 0, sizeof *s);
    return rune_smp_rune_status(&c->c, NULL, fx_status_cb, s, err);
}

/* Poll the status until the rune is `name` in `state` (or the timeout). */
static inline bool fx_wait_state(fx_cli *c, const char *name, const char *state, int timeout_ms)
{
    fx_status s;
    rune_error err;
    for (int t = 0; t < timeout_ms; t += 20) {
        if (fx_get_status(c, &s, &err) == RUNE_OK && s.n == 1 && strcmp(s.r.name, name) == 0 &&
            strcmp(s.r.state, state) == 0)
            return true;
        fx_sleep_ms(20);
    }
    return false;
}

#endif

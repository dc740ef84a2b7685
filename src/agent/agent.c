/*
 * agent.c - the agent's life cycle: create (providers and trust policy from the profile, store
 * recovery, SMP handlers), transports, the poll loop that serves SMP and runs the rune, reset,
 * local install, info, destroy.
 *
 * Workload: one process per device. A poll round waits on the transports for at most the time
 * until the next rune call and serves what came; with options.rune_thread the rune runs on a
 * thread of its own (supervisor.c) and a round takes the agent's lock only to serve, never while
 * it waits.
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/container.h"

static rune_status make_provider(const rune_agent_cap *c, rune_cap_provider **out, rune_error *err)
{
    if (strcmp(c->source, "signal") == 0)
        return rune_agent_cap_signal(c->kind, c->signal, c->freq_hz, c->amplitude, c->seed, out,
                                     err);
    if (strcmp(c->source, "device") == 0) /* opened when a rune opens the capability */
        return c->kind == RUNE_CAP_SOUND ? rune_cap_sound_alsa(c->path, out, err)
                                         : rune_cap_image_v4l2(c->path, out, err);
    switch (c->kind) {
    case RUNE_CAP_SOUND: return rune_cap_sound_file(c->path, c->loop, out, err);
    case RUNE_CAP_IMAGE: return rune_cap_image_file(c->path, out, err);
    case RUNE_CAP_ACCEL: return rune_cap_accel_csv(c->path, c->loop, out, err);
    case RUNE_CAP_RAW: return rune_cap_raw_file(c->path, c->loop, out, err);
    case RUNE_CAP_RAND: return rune_cap_random(c->seed, out, err);
    default: return RUNE_ERR(err, RUNE_E_INVALID, "profile: capability kind %d unknown", c->kind);
    }
}

static rune_status load_policy(rune_agent *a, rune_error *err)
{
    rune_status st = RUNE_OK;
    if (a->prof.trust_policy[0]) {
        st = rune_trust_policy_load(a->prof.trust_policy, &a->trust, err);
        if (st != RUNE_OK) return rune_error_prefix(err, "policy.trust_policy");
    }
    for (size_t i = 0; i < a->prof.ntrusted_keys; i++) {
        rune_sign_key k;
        st = rune_sign_key_load(a->prof.trusted_keys[i], &k, err);
        if (st == RUNE_OK) st = rune_trust_policy_add_key(&a->trust, &k, err);
        rune_sign_key_wipe(&k);
        if (st != RUNE_OK) return rune_error_prefix(err, "policy.trusted_keys");
    }
    if (a->prof.require_signature) a->trust.require_signature = 1;
    if (a->trust.require_signature && a->trust.ntrusted == 0)
        return RUNE_ERR(
            err, RUNE_E_INVALID,
            "policy: require_signature without any trusted key would refuse every rune");
    return RUNE_OK;
}

/* One AOT engine for every start of a rune, its compiled objects cached in <store>/aot (made
 * after the store itself), so a restart after a trap loads the cached object instead of compiling.
 */
static rune_status open_aot(rune_agent *a, rune_error *err)
{
    snprintf(a->aot_dir, sizeof a->aot_dir, "%s/aot", a->prof.store);
    if ((mkdir(a->prof.store, 0755) != 0 && errno != EEXIST) ||
        (mkdir(a->aot_dir, 0755) != 0 && errno != EEXIST))
        return RUNE_ERR(err, RUNE_E_IO, "store: mkdir %s: %s", a->aot_dir, strerror(errno));
    rune_wasm_engine_config ec = {0};
    ec.aot_cache_dir = a->aot_dir;
    return rune_wasm_engine_new(RUNE_WASM_AOT, &ec, &a->aot, err);
}

rune_status rune_agent_create(const rune_agent_profile *p, const rune_agent_options *opt,
                              rune_agent **out, rune_error *err)
{
    if (!p || !out) return RUNE_ERR(err, RUNE_E_ARG, "agent: NULL argument");
    *out = NULL;
    if (!p->name[0] || !p->store[0])
        return RUNE_ERR(err, RUNE_E_ARG, "agent: the profile needs a name and a store");
    rune_agent *a = rune_calloc(1, sizeof *a);
    if (!a) return RUNE_ERR(err, RUNE_E_NOMEM, "agent: out of memory");
    a->prof = *p;
    if (opt) a->opt = *opt;
    a->saga_id = -1;
    a->http_fd = -1;
    snprintf(a->dir_runes, sizeof a->dir_runes, "%s/runes", p->store);
    rune_saga_config sc = {0};
    sc.log_entries = a->opt.log_entries ? a->opt.log_entries : 256;
    rune_status st = rune_saga_create(&a->saga, &sc, err);
    if (st == RUNE_OK) st = agent_logs_open(a, err);
    for (size_t i = 0; st == RUNE_OK && i < p->ncaps; i++) {
        st = make_provider(&p->caps[i], &a->providers[a->nproviders], err);
        if (st != RUNE_OK) {
            rune_error_prefix(err, "capability %s", rune_abi_capability_name(p->caps[i].kind));
            break;
        }
        a->offered |= 1u << p->caps[i].kind;
        a->nproviders++;
    }
    if (st == RUNE_OK) st = load_policy(a, err);
    if (st == RUNE_OK && p->engine == RUNE_WASM_AOT) st = open_aot(a, err);
    if (st == RUNE_OK) st = rune_smp_server_create(&a->srv, err);
    if (st == RUNE_OK) st = agent_smp_register(a, err);
    if (st == RUNE_OK) st = agent_store_recover(a, err);
    if (st != RUNE_OK) {
        rune_agent_destroy(a);
        return st;
    }
    agent_upload_resume(a);
    agent_log(a, RUNE_SAGA_INFO, "%s (%s) up; active rune: %s", p->name, p->provider,
              a->st.active.present ? a->st.active.name : "none");
    agent_sup_reload(a);
    if (a->opt.rune_thread && (st = agent_sup_thread_start(a, err)) != RUNE_OK) {
        rune_agent_destroy(a);
        return st;
    }
    *out = a;
    return RUNE_OK;
}

void rune_agent_stop_thread(rune_agent *a)
{
    if (a) agent_sup_thread_stop(a);
}

void rune_agent_destroy(rune_agent *a)
{
    if (!a) return;
    agent_sup_thread_stop(a);
    agent_sup_stop(a);
    agent_http_close(a);
    rune_free(a->bytes);
    for (size_t i = 0; i < a->ntr; i++)
        rune_smp_transport_close(a->tr[i]);
    rune_smp_server_destroy(a->srv);
    if (a->staging) fclose(a->staging);
    for (size_t i = 0; i < a->nproviders; i++)
        rune_cap_provider_free(a->providers[i]);
    rune_trust_policy_clear(&a->trust);
    rune_wasm_engine_free(a->aot);
    agent_logs_close(a);
    rune_saga_destroy(a->saga);
    rune_free(a);
}

rune_status rune_agent_add_transport(rune_agent *a, rune_smp_transport *t, rune_error *err)
{
    if (!a || !t) {
        rune_smp_transport_close(t);
        return RUNE_ERR(err, RUNE_E_ARG, "agent: NULL transport");
    }
    if (a->ntr == AGENT_MAX_TRANSPORTS) {
        rune_smp_transport_close(t);
        return RUNE_ERR(err, RUNE_E_LIMIT, "agent: at most %d transports", AGENT_MAX_TRANSPORTS);
    }
    size_t mtu = t->mtu;
    for (size_t i = 0; i < a->ntr; i++)
        if (a->tr[i]->mtu < mtu) mtu = a->tr[i]->mtu;
    a->tr[a->ntr++] = t;
    return agent_smp_register_os(a, mtu, err);
}

static rune_status parse_hostport(const char *s, char *host, size_t cap, uint16_t *port,
                                  rune_error *err)
{
    const char *colon = strrchr(s, ':');
    if (!colon) return RUNE_ERR(err, RUNE_E_INVALID, "udp: \"%s\" is not ADDR:PORT", s);
    size_t n = (size_t)(colon - s);
    if (n >= cap) return RUNE_ERR(err, RUNE_E_INVALID, "udp: address too long");
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        memcpy(host, s + 1, n - 2);
        host[n - 2] = '\0';
    } else {
        memcpy(host, s, n);
        host[n] = '\0';
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return RUNE_ERR(err, RUNE_E_INVALID, "udp: bad port in \"%s\"", s);
    *port = (uint16_t)p;
    return RUNE_OK;
}

rune_status rune_agent_open_transports(rune_agent *a, rune_error *err)
{
    rune_smp_transport *t = NULL;
    rune_status st;
    if (a->prof.udp[0]) {
        char host[128] = "";
        uint16_t port = 0;
        st = parse_hostport(a->prof.udp, host, sizeof host, &port, err);
        if (st == RUNE_OK) st = rune_smp_udp_server(host[0] ? host : NULL, port, &t, err);
        if (st == RUNE_OK) st = rune_agent_add_transport(a, t, err);
        if (st != RUNE_OK) return st;
        agent_log(a, RUNE_SAGA_INFO, "listening on udp %s:%u", host[0] ? host : "*",
                  rune_agent_udp_port(a));
    }
    if (a->prof.serial[0]) {
        st = rune_smp_serial_open(a->prof.serial, a->prof.baud, 0, &t, err);
        if (st == RUNE_OK) st = rune_agent_add_transport(a, t, err);
        if (st != RUNE_OK) return st;
        a->serial_t = t;
        agent_log(a, RUNE_SAGA_INFO, "listening on serial %s at %d baud", a->prof.serial,
                  a->prof.baud);
    }
    return RUNE_OK;
}

uint16_t rune_agent_udp_port(const rune_agent *a)
{
    for (size_t i = 0; a && i < a->ntr; i++)
        if (a->tr[i]->name && strncmp(a->tr[i]->name, "udp", 3) == 0)
            return rune_smp_udp_bound_port(a->tr[i]);
    return 0;
}

/* The profile's serial line hung up or failed (a USB adapter unplugged, the far end of a pty
 * gone): close it so it stops waking the loop, and try to open it again every second. */
static void serial_check(rune_agent *a, uint64_t now)
{
    if (a->serial_t && a->serial_t->pollfd) {
        bool buffered = false;
        struct pollfd pfd = {.fd = a->serial_t->pollfd(a->serial_t, &buffered), .events = POLLIN};
        if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 1 &&
            (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))) {
            size_t k = 0;
            for (size_t i = 0; i < a->ntr; i++)
                if (a->tr[i] != a->serial_t) a->tr[k++] = a->tr[i];
            a->ntr = k;
            rune_smp_transport_close(a->serial_t);
            a->serial_t = NULL;
            a->serial_down = true;
            a->serial_retry_ms = now + 1000;
            agent_log(a, RUNE_SAGA_WARN, "serial %s lost; reopening it every second",
                      a->prof.serial);
        }
    }
    if (a->serial_down && now >= a->serial_retry_ms) {
        rune_smp_transport *t = NULL;
        rune_error e;
        a->serial_retry_ms = now + 1000;
        if (rune_smp_serial_open(a->prof.serial, a->prof.baud, 0, &t, &e) == RUNE_OK &&
            rune_agent_add_transport(a, t, &e) == RUNE_OK) {
            a->serial_t = t;
            a->serial_down = false;
            agent_log(a, RUNE_SAGA_INFO, "serial %s back", a->prof.serial);
        }
    }
}

/* OS reset: drop what runs and start again from the store, as after a reboot. */
void agent_reset(rune_agent *a)
{
    rune_error e;
    agent_log(a, RUNE_SAGA_INFO, "reset");
    agent_sup_stop(a);
    if (agent_store_recover(a, &e) != RUNE_OK) agent_log(a, RUNE_SAGA_ERROR, "reset: %s", e.msg);
    agent_sup_reload(a);
}

/* A round with the rune thread: wait for input without the lock, then serve under it. */
static rune_status poll_threaded(rune_agent *a, int max_wait_ms)
{
    struct pollfd pfd[AGENT_MAX_TRANSPORTS + 1];
    nfds_t n = 0;
    int wait = max_wait_ms < 0 ? 0 : max_wait_ms;
    for (size_t i = 0; i < a->ntr; i++) { /* the transports change only on this thread */
        bool buffered = false;
        int fd = a->tr[i]->pollfd ? a->tr[i]->pollfd(a->tr[i], &buffered) : -1;
        if (buffered) wait = 0;
        if (fd < 0 && wait > 10) wait = 10;
        if (fd >= 0) pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    if (a->http_fd >= 0) pfd[n++] = (struct pollfd){.fd = a->http_fd, .events = POLLIN};
    if (a->serial_down && wait > 100) wait = 100;
    if (n > 0)
        poll(pfd, n, wait);
    else if (wait > 0)
        nanosleep(&(struct timespec){wait / 1000, (long)(wait % 1000) * 1000000L}, NULL);
    bool failed = false;
    pthread_mutex_lock(&a->mu);
    if (a->ntr > 0) {
        rune_error e;
        size_t served = 0;
        rune_status st = rune_smp_server_serve_any(a->srv, a->tr, a->ntr, 0, &served, &e);
        if (st == RUNE_E_IO && !a->io_failing)
            agent_log(a, RUNE_SAGA_ERROR, "transport: %s", e.msg);
        a->io_failing = failed = st == RUNE_E_IO;
        if (failed) serial_check(a, agent_now_ms());
    }
    if (a->serial_down) serial_check(a, agent_now_ms());
    agent_http_poll(a);
    pthread_mutex_unlock(&a->mu);
    if (failed && wait > 0) /* a dead line must not turn the loop into a spin */
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    return RUNE_OK;
}

rune_status rune_agent_poll(rune_agent *a, int max_wait_ms, rune_error *err)
{
    if (!a) return RUNE_ERR(err, RUNE_E_ARG, "agent: NULL");
    if (a->threaded) return poll_threaded(a, max_wait_ms);
    int wait = agent_sup_tick(a, agent_now_ms());
    if (wait < 0 || wait > max_wait_ms) wait = max_wait_ms;
    if (a->ntr > 0) {
        rune_error e;
        size_t served = 0;
        rune_status st = rune_smp_server_serve_any(a->srv, a->tr, a->ntr, wait, &served, &e);
        if (st == RUNE_E_IO && !a->io_failing) /* once per outage, not at every round */
            agent_log(a, RUNE_SAGA_ERROR, "transport: %s", e.msg);
        a->io_failing = st == RUNE_E_IO;
        if (st == RUNE_E_IO) serial_check(a, agent_now_ms());
        if (st == RUNE_E_IO && wait > 0) { /* a dead line must not turn the loop into a spin */
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (a->serial_down) serial_check(a, agent_now_ms());
    agent_http_poll(a);
    if (a->ntr == 0 && wait > 0) {
        struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return RUNE_OK;
}

rune_status rune_agent_run(rune_agent *a, volatile sig_atomic_t *stop, rune_error *err)
{
    while (!stop || !*stop) {
        rune_status st = rune_agent_poll(a, 100, err);
        if (st != RUNE_OK) return st;
    }
    agent_log(a, RUNE_SAGA_INFO, "shutting down");
    return RUNE_OK;
}

rune_status rune_agent_install(rune_agent *a, const uint8_t *bytes, size_t len, rune_error *err)
{
    if (!a || !bytes) return RUNE_ERR(err, RUNE_E_ARG, "agent: NULL argument");
    agent_slot slot = {0};
    uint8_t sha[32];
    crypto_hash_sha256(sha, bytes, len);
    agent_hex(sha, 32, slot.hash);
    int rc = 0;
    agent_lock(a);
    rune_status st = agent_check_rune(a, bytes, len, &slot, &rc, err);
    char part[RUNE_AGENT_PATH_MAX + 32];
    snprintf(part, sizeof part, "%s/install.part", a->prof.store);
    if (st == RUNE_OK) st = agent_write_atomic(a, part, bytes, len, -1, -1, err);
    if (st == RUNE_OK) st = agent_install_staged(a, part, &slot, err);
    agent_unlock(a);
    return st;
}

void rune_agent_get_info(rune_agent *a, rune_agent_info *o)
{
    memset(o, 0, sizeof *o);
    agent_lock(a);
    o->has_active = a->st.active.present;
    o->has_previous = a->st.previous.present;
    o->confirmed = a->st.confirmed;
    o->previous_bad = a->st.previous_bad;
    o->stopped = a->st.stopped;
    snprintf(o->state, sizeof o->state, "%s", agent_run_state_name(a->run));
    snprintf(o->active_name, sizeof o->active_name, "%s", a->st.active.name);
    snprintf(o->active_version, sizeof o->active_version, "%s", a->st.active.version);
    snprintf(o->active_hash, sizeof o->active_hash, "%s", a->st.active.hash);
    snprintf(o->previous_name, sizeof o->previous_name, "%s", a->st.previous.name);
    snprintf(o->previous_hash, sizeof o->previous_hash, "%s", a->st.previous.hash);
    o->period_ms = a->period_ms;
    o->calls = a->calls;
    o->good_calls = a->good_calls;
    o->failures = a->failures;
    o->restarts = a->restarts;
    o->rollbacks = a->rollbacks;
    o->calls_started = a->calls_started;
    agent_unlock(a);
}

rune_saga *rune_agent_saga(rune_agent *a)
{
    return a ? a->saga : NULL;
}

rune_smp_server *rune_agent_server(rune_agent *a)
{
    return a ? a->srv : NULL;
}

/*
 * supervisor.c - runs the active rune continuously: one _call per period, restart with exponential
 * backoff after a trap, test-then-confirm (a new rune is on probation until probation_calls good
 * calls, and rolled back to the previous one after rollback_failures failures), LibSaga metrics.
 *
 * Workload: one rune, calls of microseconds to hundreds of milliseconds at 1-100 Hz, driven by the
 * loop that serves SMP or (options.rune_thread) by a thread of its own that drops the agent's lock
 * for the call, so SMP is answered meanwhile. After a failed call the instance is dropped and
 * opened again at the next attempt (a trap may leave the guest's globals half-updated).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/container.h"

uint64_t agent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *agent_run_state_name(agent_run_state s)
{
    switch (s) {
    case AGENT_RUNNING: return "running";
    case AGENT_BACKOFF: return "backoff";
    case AGENT_STOPPED: return "stopped";
    case AGENT_FAILED: return "failed";
    default: return "none";
    }
}

static const char *arg_of(const rune_manifest_stage *s, const char *key)
{
    for (size_t i = 0; i < s->nargs; i++)
        if (strcmp(s->args[i].key, key) == 0) return s->args[i].value;
    return NULL;
}

/* The period the rune's capabilities set: a SOUND or ACCEL capability of `hz` with N samples a
 * reading is read hz/N times a second; anything else runs once a second. */
static uint64_t period_from_manifest(const uint8_t *bytes, size_t len)
{
    rune_container *c = NULL;
    rune_error e;
    uint64_t period = 1000;
    if (rune_container_open(bytes, len, &c, &e) != RUNE_OK) return period;
    for (size_t i = 0; i < c->manifest->ncapabilities; i++) {
        const rune_manifest_stage *s = &c->manifest->capabilities[i];
        const char *hz = arg_of(s, "hz");
        if (!hz) hz = arg_of(s, "frequency");
        const char *samples = arg_of(s, "samples");
        double n = samples ? atof(samples) : 0;
        if (!samples && s->noutputs == 1) {
            n = 1;
            for (uint32_t d = 0; d < s->outputs[0].ndims; d++)
                n *= s->outputs[0].dims[d];
            if (s->kind && strcmp(s->kind, "ACCEL") == 0) n /= 3;
        }
        if (hz && atof(hz) > 0 && n > 0) {
            double p = 1000.0 * n / atof(hz);
            period = p < 1 ? 1 : p < 86400000.0 ? (uint64_t)p : 86400000u; /* at most daily */
            break;
        }
    }
    rune_container_free(c);
    return period;
}

void agent_lock(rune_agent *a)
{
    if (a->threaded) pthread_mutex_lock(&a->mu);
}

void agent_unlock(rune_agent *a)
{
    if (a->threaded) pthread_mutex_unlock(&a->mu);
}

void agent_sup_quiesce(rune_agent *a)
{
    if (!a->threaded) return;
    a->waiters++; /* the rune thread starts no call while someone waits for the end of one */
    while (a->calling)
        pthread_cond_wait(&a->cv, &a->mu);
    a->waiters--;
    pthread_cond_broadcast(&a->cv);
}

void agent_sup_stop(rune_agent *a)
{
    agent_sup_quiesce(a);
    rune_host_free(a->host);
    a->host = NULL;
}

static void saga_switch(rune_agent *a, const char *name)
{
    if (a->saga_id >= 0) rune_saga_rune_remove(a->saga, a->saga_id);
    a->saga_id = -1;
    if (name && name[0]) {
        rune_error e;
        int other = rune_saga_rune_find(a->saga, name);
        if (other >= 0) rune_saga_rune_remove(a->saga, other);
        if (rune_saga_rune_add(a->saga, name, &a->saga_id, &e) != RUNE_OK) a->saga_id = -1;
    }
}

void agent_sup_reload(rune_agent *a)
{
    agent_sup_stop(a);
    if (a->threaded) pthread_cond_broadcast(&a->cv); /* the rune thread: a new schedule */
    rune_free(a->bytes);
    a->bytes = NULL;
    a->len = 0;
    a->consecutive_failures = a->probation_good = a->probation_failures = 0;
    a->prev_cap_reads = 0;
    if (!a->st.active.present) {
        a->run = AGENT_NONE;
        saga_switch(a, NULL);
        return;
    }
    rune_error e;
    if (agent_rune_load(a, a->st.active.hash, &a->bytes, &a->len, &e) != RUNE_OK) {
        agent_log(a, RUNE_SAGA_ERROR, "cannot load the active rune: %s", e.msg);
        a->run = AGENT_FAILED;
        return;
    }
    saga_switch(a, a->st.active.name);
    if (a->prof.rate_hz > 0) {
        double p = 1000.0 / a->prof.rate_hz;
        a->period_ms = p < 86400000.0 ? (uint64_t)p : 86400000u; /* at most daily */
    } else {
        a->period_ms = period_from_manifest(a->bytes, a->len);
    }
    a->started_ms = agent_now_ms();
    a->next_due_ms = a->started_ms;
    a->run = a->st.stopped ? AGENT_STOPPED : AGENT_RUNNING;
}

static void rollback(rune_agent *a, const char *why)
{
    char failed[64];
    snprintf(failed, sizeof failed, "%s %s", a->st.active.name, a->st.active.version);
    rune_error e;
    a->rollbacks++;
    if (a->st.previous.present && !a->st.previous_bad) {
        agent_log(a, RUNE_SAGA_ERROR, "rollback: %s failed its probation (%s); back to %s %s",
                  failed, why, a->st.previous.name, a->st.previous.version);
        if (agent_switch_previous(a, true, true, &e) != RUNE_OK) {
            agent_log(a, RUNE_SAGA_ERROR, "rollback failed: %s", e.msg);
            agent_sup_stop(a);
            a->run = AGENT_FAILED;
        }
        return;
    }
    agent_log(a, RUNE_SAGA_ERROR,
              "%s failed its probation (%s) and there is no previous rune; stopped", failed, why);
    agent_sup_stop(a);
    a->run = AGENT_FAILED;
}

static void failed_call(rune_agent *a, uint64_t now, const rune_error *e)
{
    a->failures++;
    a->consecutive_failures++;
    if (a->saga_id >= 0) rune_saga_trap(a->saga, a->saga_id);
    agent_log(a, RUNE_SAGA_ERROR, "%s: %s: %s", a->st.active.name, rune_status_name(e->status),
              e->msg);
    agent_sup_stop(a);
    if (!a->st.confirmed) {
        a->probation_failures++;
        if (a->probation_failures >= a->prof.rollback_failures) {
            char why[96];
            snprintf(why, sizeof why, "%u failures, last: %s", a->probation_failures,
                     rune_status_name(e->status));
            rollback(a, why);
            return;
        }
    }
    uint64_t backoff = a->prof.backoff_min_ms;
    for (uint32_t i = 1; i < a->consecutive_failures && backoff < a->prof.backoff_max_ms; i++)
        backoff *= 2;
    if (backoff > a->prof.backoff_max_ms) backoff = a->prof.backoff_max_ms;
    a->run = AGENT_BACKOFF;
    a->next_due_ms = now + backoff;
    agent_log(a, RUNE_SAGA_WARN, "restart of %s in %llu ms", a->st.active.name,
              (unsigned long long)backoff);
}

static void good_call(rune_agent *a, uint64_t latency_us)
{
    a->good_calls++;
    a->consecutive_failures = 0;
    a->run = AGENT_RUNNING;
    if (a->saga_id >= 0) {
        const rune_host_stats *hs = rune_host_stats_of(a->host);
        rune_saga_inference(a->saga, a->saga_id, latency_us);
        if (hs->capability_reads > a->prev_cap_reads)
            rune_saga_cap_read(a->saga, a->saga_id, hs->capability_reads - a->prev_cap_reads);
        a->prev_cap_reads = hs->capability_reads;
        rune_wasm_instance *inst = rune_host_instance(a->host);
        uint64_t mem = inst ? rune_wasm_memory_size(inst) : 0;
        rune_saga_memory(a->saga, a->saga_id, mem + hs->nn_arena_bytes);
    }
    if (!a->st.confirmed) {
        a->probation_good++;
        rune_error e;
        if (a->prof.auto_confirm && a->probation_good >= a->prof.probation_calls &&
            agent_confirm(a, &e) != RUNE_OK)
            agent_log(a, RUNE_SAGA_ERROR, "confirm failed: %s", e.msg);
    }
}

/* ms until the next call is due, 0 when it is, -1 when nothing runs. */
static int sup_due(const rune_agent *a, uint64_t now)
{
    if (a->run != AGENT_RUNNING && a->run != AGENT_BACKOFF) return -1;
    return now < a->next_due_ms ? (int)(a->next_due_ms - now) : 0;
}

/* One call (opening the instance first when there is none). With the rune thread, entered and
 * left holding a->mu, which is dropped for the open and the call: a->calling says so, and
 * nothing else touches the host, a->bytes or the providers meanwhile (agent_sup_quiesce). */
static void sup_call(rune_agent *a, uint64_t now)
{
    rune_error e;
    rune_error_clear(&e);
    rune_host *h = a->host;
    rune_host_config cfg;
    bool open = h == NULL;
    if (open) {
        agent_host_config(a, &cfg);
        if (a->calls > 0 || a->failures > 0) a->restarts++;
        a->prev_cap_reads = 0;
    }
    a->calling = true;
    a->calls_started++;
    agent_unlock(a);
    rune_status st = RUNE_OK;
    uint64_t t0 = 0, t1 = 0;
    if (open && (st = rune_host_open(a->bytes, a->len, &cfg, &h, &e)) != RUNE_OK) h = NULL;
    if (st == RUNE_OK) {
        t0 = now_us();
        st = rune_host_call(h, &e);
        t1 = now_us();
    }
    agent_lock(a);
    a->calling = false;
    a->host = h;
    if (a->threaded) pthread_cond_broadcast(&a->cv);
    now = agent_now_ms();
    if (!h) {
        a->calls_started--; /* it never ran */
        failed_call(a, now, &e);
        return;
    }
    a->calls++;
    if (st == RUNE_OK) {
        good_call(a, t1 - t0);
        a->next_due_ms += a->period_ms;
        if (a->next_due_ms < now) a->next_due_ms = now; /* never catch up in a burst */
    } else {
        failed_call(a, now, &e);
    }
}

int agent_sup_tick(rune_agent *a, uint64_t now)
{
    int wait = sup_due(a, now);
    if (wait != 0) return wait;
    sup_call(a, now);
    return sup_due(a, agent_now_ms());
}

static void *sup_thread(void *p)
{
    rune_agent *a = p;
    pthread_mutex_lock(&a->mu);
    while (!a->worker_stop) {
        if (a->waiters > 0) { /* let the waiter in first (the mutex is not fair) */
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        int wait = sup_due(a, agent_now_ms());
        if (wait != 0) { /* sleep until due, or until someone changes the schedule */
            if (wait < 0 || wait > 1000) wait = 1000;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&a->cv, &a->mu, &ts);
            continue;
        }
        sup_call(a, agent_now_ms());
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

rune_status agent_sup_thread_start(rune_agent *a, rune_error *err)
{
    if (pthread_mutex_init(&a->mu, NULL) != 0)
        return RUNE_ERR(err, RUNE_E_INTERNAL, "agent: cannot create a mutex");
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        return RUNE_ERR(err, RUNE_E_INTERNAL, "agent: cannot create a condition variable");
    }
    a->threaded = true;
    a->worker_stop = false;
    int rc = pthread_create(&a->worker, NULL, sup_thread, a);
    if (rc != 0) {
        a->threaded = false;
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        return RUNE_ERR(err, RUNE_E_INTERNAL, "agent: cannot start the rune thread: %s",
                        strerror(rc));
    }
    return RUNE_OK;
}

void agent_sup_thread_stop(rune_agent *a)
{
    if (!a->threaded) return;
    pthread_mutex_lock(&a->mu);
    a->worker_stop = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->worker, NULL);
    a->threaded = false;
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
}

/*
 * supervisor.c - runs the active rune continuously: one _call per period, restart with exponential
 * backoff after a trap, test-then-confirm (a new rune is on probation until probation_calls good
 * calls, and rolled back to the previous one after rollback_failures failures), LibSaga metrics.
 *
 * Workload: one rune, calls of microseconds to tens of milliseconds at 1-100 Hz, driven by the same
 * loop that serves SMP. After a failed call the instance is dropped and opened again at the next
 * attempt (a trap may leave the guest's globals half-updated).
 */
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

void agent_sup_stop(rune_agent *a)
{
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

int agent_sup_tick(rune_agent *a, uint64_t now)
{
    if (a->run != AGENT_RUNNING && a->run != AGENT_BACKOFF) return -1;
    if (now < a->next_due_ms) return (int)(a->next_due_ms - now);
    rune_error e;
    rune_error_clear(&e);
    if (!a->host) {
        rune_host_config cfg;
        agent_host_config(a, &cfg);
        if (a->calls > 0 || a->failures > 0) a->restarts++;
        a->prev_cap_reads = 0;
        if (rune_host_open(a->bytes, a->len, &cfg, &a->host, &e) != RUNE_OK) {
            a->host = NULL;
            failed_call(a, now, &e);
            return a->run == AGENT_BACKOFF ? (int)(a->next_due_ms - now) : 0;
        }
    }
    a->calls++;
    uint64_t t0 = now_us();
    rune_status st = rune_host_call(a->host, &e);
    uint64_t t1 = now_us();
    now = agent_now_ms();
    if (st == RUNE_OK) {
        good_call(a, t1 - t0);
        a->next_due_ms += a->period_ms;
        if (a->next_due_ms < now) a->next_due_ms = now; /* never catch up in a burst */
    } else {
        failed_call(a, now, &e);
    }
    if (a->run != AGENT_RUNNING && a->run != AGENT_BACKOFF) return -1;
    return a->next_due_ms > now ? (int)(a->next_due_ms - now) : 0;
}

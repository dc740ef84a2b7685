/*
 * saga.c - the LibSaga registry: rune slots with counters and a latency histogram, and the bounded
 * log ring (fixed memory, oldest entry dropped).
 *
 * Workload: a device agent recording from its scheduler thread(s) at every inference and log line,
 * and an SMP handler or HTTP scrape reading now and then. Everything is allocated at creation; a
 * recording call takes the registry's mutex, touches one slot and returns.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rune/alloc.h"
#include "saga_int.h"

static uint64_t mono_ms(void *ud)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

rune_status rune_saga_create(rune_saga **out, const rune_saga_config *cfg, rune_error *err)
{
    *out = NULL;
    rune_saga_config c = {.max_runes = 16, .log_entries = 256, .now_ms = mono_ms};
    if (cfg) {
        if (cfg->max_runes) c.max_runes = cfg->max_runes;
        if (cfg->log_entries) c.log_entries = cfg->log_entries;
        if (cfg->now_ms) {
            c.now_ms = cfg->now_ms;
            c.clock_ud = cfg->clock_ud;
        }
    }
    if (c.max_runes > 4096 || c.log_entries > (1u << 20))
        return RUNE_ERR(err, RUNE_E_ARG, "saga: %zu runes / %zu log entries is too many",
                        c.max_runes, c.log_entries);
    rune_saga *s = rune_calloc(1, sizeof *s);
    if (!s) return RUNE_ERR(err, RUNE_E_NOMEM, "saga: out of memory");
    s->runes = rune_calloc(c.max_runes, sizeof *s->runes);
    s->log = rune_calloc(c.log_entries, sizeof *s->log);
    if (!s->runes || !s->log) {
        rune_free(s->runes);
        rune_free(s->log);
        rune_free(s);
        return RUNE_ERR(err, RUNE_E_NOMEM, "saga: out of memory");
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        rune_free(s->runes);
        rune_free(s->log);
        rune_free(s);
        return RUNE_ERR(err, RUNE_E_INTERNAL, "saga: cannot create a mutex");
    }
    s->n_runes = c.max_runes;
    s->log_cap = c.log_entries;
    s->now_ms = c.now_ms;
    s->clock_ud = c.clock_ud;
    s->start_ms = s->now_ms(s->clock_ud);
    s->next_seq = 1;
    *out = s;
    return RUNE_OK;
}

void rune_saga_destroy(rune_saga *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->mu);
    rune_free(s->runes);
    rune_free(s->log);
    rune_free(s);
}

static int find_locked(const rune_saga *s, const char *name)
{
    for (size_t i = 0; i < s->n_runes; i++)
        if (s->runes[i].used && strcmp(s->runes[i].name, name) == 0) return (int)i;
    return -1;
}

rune_status rune_saga_rune_add(rune_saga *s, const char *name, int *id, rune_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > RUNE_SAGA_NAME_MAX)
        return RUNE_ERR(err, RUNE_E_ARG, "saga: rune name must be 1..%d bytes", RUNE_SAGA_NAME_MAX);
    rune_status st = RUNE_OK;
    pthread_mutex_lock(&s->mu);
    if (find_locked(s, name) >= 0) {
        st = RUNE_ERR(err, RUNE_E_INVALID, "saga: rune \"%s\" is already registered", name);
        goto out;
    }
    for (size_t i = 0; i < s->n_runes; i++) {
        if (!s->runes[i].used) {
            saga_rune *r = &s->runes[i];
            memset(r, 0, sizeof *r);
            r->used = true;
            memcpy(r->name, name, n + 1);
            r->added_ms = s->now_ms(s->clock_ud);
            *id = (int)i;
            goto out;
        }
    }
    st = RUNE_ERR(err, RUNE_E_LIMIT, "saga: all %zu rune slots are in use", s->n_runes);
out:
    pthread_mutex_unlock(&s->mu);
    return st;
}

int rune_saga_rune_find(rune_saga *s, const char *name)
{
    if (!name) return -1;
    pthread_mutex_lock(&s->mu);
    int id = find_locked(s, name);
    pthread_mutex_unlock(&s->mu);
    return id;
}

/* The slot of id, or NULL; call under the lock. */
static saga_rune *slot(rune_saga *s, int id)
{
    if (id < 0 || (size_t)id >= s->n_runes || !s->runes[id].used) return NULL;
    return &s->runes[id];
}

void rune_saga_rune_remove(rune_saga *s, int id)
{
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r) r->used = false;
    pthread_mutex_unlock(&s->mu);
}

void rune_saga_inference(rune_saga *s, int id, uint64_t latency_us)
{
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r) {
        r->inferences++;
        rune_saga_hist_record(&r->lat, latency_us);
    }
    pthread_mutex_unlock(&s->mu);
}

void rune_saga_trap(rune_saga *s, int id)
{
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r) r->traps++;
    pthread_mutex_unlock(&s->mu);
}

void rune_saga_cap_read(rune_saga *s, int id, uint64_t n)
{
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r) r->cap_reads += n;
    pthread_mutex_unlock(&s->mu);
}

void rune_saga_memory(rune_saga *s, int id, uint64_t bytes)
{
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r) r->mem_bytes = bytes;
    pthread_mutex_unlock(&s->mu);
}

void rune_saga_logv(rune_saga *s, int id, int level, const char *fmt, va_list ap)
{
    char msg[RUNE_SAGA_LOG_MSG_MAX + 1];
    vsnprintf(msg, sizeof msg, fmt, ap); /* outside the lock: formatting may be slow */
    pthread_mutex_lock(&s->mu);
    rune_saga_log_entry *e = &s->log[s->next_seq % s->log_cap];
    e->seq = s->next_seq++;
    e->t_ms = s->now_ms(s->clock_ud) - s->start_ms;
    e->level = level;
    saga_rune *r = slot(s, id);
    if (r)
        memcpy(e->rune, r->name, sizeof e->rune);
    else
        e->rune[0] = 0;
    memcpy(e->msg, msg, sizeof e->msg);
    pthread_mutex_unlock(&s->mu);
}

const char *rune_saga_level_name(int level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return level >= 0 && level < 4 ? names[level] : "?";
}

void rune_saga_log(rune_saga *s, int id, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rune_saga_logv(s, id, level, fmt, ap);
    va_end(ap);
}

uint64_t saga_log_oldest(const rune_saga *s)
{
    return s->next_seq > s->log_cap + 1 ? s->next_seq - s->log_cap : 1;
}

void saga_stats_fill(const rune_saga *s, const saga_rune *r, rune_saga_stats *st)
{
    memset(st, 0, sizeof *st);
    memcpy(st->name, r->name, sizeof st->name);
    st->uptime_ms = s->now_ms(s->clock_ud) - r->added_ms;
    st->inferences = r->inferences;
    st->traps = r->traps;
    st->cap_reads = r->cap_reads;
    st->mem_bytes = r->mem_bytes;
    st->lat_count = r->lat.count;
    st->lat_sum = r->lat.sum;
    st->lat_min = r->lat.min;
    st->lat_max = r->lat.max;
    st->p50 = rune_saga_hist_quantile(&r->lat, 0.5);
    st->p90 = rune_saga_hist_quantile(&r->lat, 0.9);
    st->p99 = rune_saga_hist_quantile(&r->lat, 0.99);
}

rune_status rune_saga_stats_get(rune_saga *s, int id, rune_saga_stats *out, rune_error *err)
{
    rune_status st = RUNE_OK;
    pthread_mutex_lock(&s->mu);
    saga_rune *r = slot(s, id);
    if (r)
        saga_stats_fill(s, r, out);
    else
        st = RUNE_ERR(err, RUNE_E_NOT_FOUND, "saga: no rune with id %d", id);
    pthread_mutex_unlock(&s->mu);
    return st;
}

uint64_t rune_saga_uptime_ms(rune_saga *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t t = s->now_ms(s->clock_ud) - s->start_ms;
    pthread_mutex_unlock(&s->mu);
    return t;
}

void rune_saga_logs_read(rune_saga *s, uint64_t since, size_t max, const char *name,
                         bool (*fn)(void *ud, const rune_saga_log_entry *e), void *ud,
                         uint64_t *next, uint64_t *dropped)
{
    pthread_mutex_lock(&s->mu);
    uint64_t oldest = saga_log_oldest(s);
    if (since < 1) since = 1;
    *dropped = since < oldest ? oldest - since : 0;
    uint64_t k = since < oldest ? oldest : since;
    size_t n = 0;
    for (; k < s->next_seq && n < max; k++) {
        const rune_saga_log_entry *e = &s->log[k % s->log_cap];
        if (name && strcmp(e->rune, name) != 0) continue;
        if (fn && !fn(ud, e)) break;
        n++;
    }
    *next = k > s->next_seq ? s->next_seq : k;
    pthread_mutex_unlock(&s->mu);
}

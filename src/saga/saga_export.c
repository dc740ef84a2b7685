/*
 * saga_export.c - LibSaga snapshots: CBOR pairs for the SMP rune group (metrics, logs) and the
 * Prometheus text exposition format (0.0.4) for a scrape.
 *
 * Workload: on request, a few times a minute; a snapshot is taken under the registry's lock and
 * written straight into the caller's buffer, so it is consistent and allocates nothing (the _alloc
 * variant sizes a buffer first). Latency is exported as a summary (p50, p90, p99, sum, count) in
 * seconds, as Prometheus' base-unit convention asks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rune/alloc.h"
#include "saga_int.h"

/* ---- CBOR ---- */

static void put_rune(rune_cbor_enc *e, const rune_saga_stats *st)
{
    rune_cbor_put_map(e, 7);
    rune_cbor_put_textz(e, "name");
    rune_cbor_put_textz(e, st->name);
    rune_cbor_put_textz(e, "uptime_ms");
    rune_cbor_put_uint(e, st->uptime_ms);
    rune_cbor_put_textz(e, "inferences");
    rune_cbor_put_uint(e, st->inferences);
    rune_cbor_put_textz(e, "traps");
    rune_cbor_put_uint(e, st->traps);
    rune_cbor_put_textz(e, "cap_reads");
    rune_cbor_put_uint(e, st->cap_reads);
    rune_cbor_put_textz(e, "mem_bytes");
    rune_cbor_put_uint(e, st->mem_bytes);
    rune_cbor_put_textz(e, "latency_us");
    rune_cbor_put_map(e, 7);
    const char *keys[7] = {"count", "sum", "min", "max", "p50", "p90", "p99"};
    uint64_t vals[7] = {st->lat_count, st->lat_sum, st->lat_min, st->lat_max,
                        st->p50,       st->p90,     st->p99};
    for (int i = 0; i < 7; i++) {
        rune_cbor_put_textz(e, keys[i]);
        rune_cbor_put_uint(e, vals[i]);
    }
}

rune_status rune_saga_cbor_metrics(rune_saga *s, const char *name, rune_cbor_enc *e,
                                   rune_error *err)
{
    rune_status st = RUNE_OK;
    pthread_mutex_lock(&s->mu);
    int only = -1;
    if (name) {
        for (size_t i = 0; i < s->n_runes; i++)
            if (s->runes[i].used && strcmp(s->runes[i].name, name) == 0) only = (int)i;
        if (only < 0) {
            st = RUNE_ERR(err, RUNE_E_NOT_FOUND, "saga: no rune \"%s\"", name);
            goto out;
        }
    }
    rune_cbor_put_textz(e, "uptime_ms");
    rune_cbor_put_uint(e, s->now_ms(s->clock_ud) - s->start_ms);
    rune_cbor_put_textz(e, "log_dropped");
    rune_cbor_put_uint(e, saga_log_oldest(s) - 1);
    rune_cbor_put_textz(e, "runes");
    rune_cbor_put_array_indef(e);
    for (size_t i = 0; i < s->n_runes; i++) {
        if (!s->runes[i].used || (only >= 0 && (size_t)only != i)) continue;
        rune_saga_stats rs;
        saga_stats_fill(s, &s->runes[i], &rs);
        put_rune(e, &rs);
    }
    rune_cbor_put_break(e);
out:
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Largest encoding of one log entry: 5 keys (25), 3 uints (27), a level (1), the two texts with
 * their heads (3 + 63, 3 + 160) and the map head (1). */
#define LOG_ENTRY_MAX (25 + 27 + 1 + 3 + RUNE_SAGA_NAME_MAX + 3 + RUNE_SAGA_LOG_MSG_MAX + 1)
/* What follows the entries: the break, "next" and "dropped" with 9-byte uints, the map's break. */
#define LOG_TRAILER_MAX (1 + 5 + 9 + 8 + 9 + 1)

static bool put_log(void *ud, const rune_saga_log_entry *le)
{
    rune_cbor_enc *e = ud;
    if (e->cap < e->len || e->cap - e->len < LOG_ENTRY_MAX + LOG_TRAILER_MAX) return false;
    rune_cbor_put_map(e, 5);
    rune_cbor_put_textz(e, "seq");
    rune_cbor_put_uint(e, le->seq);
    rune_cbor_put_textz(e, "t_ms");
    rune_cbor_put_uint(e, le->t_ms);
    rune_cbor_put_textz(e, "level");
    rune_cbor_put_uint(e, (uint64_t)le->level);
    rune_cbor_put_textz(e, "rune");
    rune_cbor_put_textz(e, le->rune);
    rune_cbor_put_textz(e, "msg");
    rune_cbor_put_textz(e, le->msg);
    return true;
}

rune_status rune_saga_cbor_logs(rune_saga *s, uint64_t since, size_t max, const char *name,
                                rune_cbor_enc *e, rune_error *err)
{
    uint64_t next = 0, dropped = 0;
    rune_cbor_put_textz(e, "entries");
    rune_cbor_put_array_indef(e);
    rune_saga_logs_read(s, since, max, name, put_log, e, &next, &dropped);
    rune_cbor_put_break(e);
    rune_cbor_put_textz(e, "next");
    rune_cbor_put_uint(e, next);
    rune_cbor_put_textz(e, "dropped");
    rune_cbor_put_uint(e, dropped);
    return RUNE_OK;
}

/* ---- Prometheus ---- */

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void emit(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void emit(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* A label value with \, " and newline escaped, as the format requires. */
static void emit_label(out *o, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\')
            emit(o, "\\\\");
        else if (*p == '"')
            emit(o, "\\\"");
        else if (*p == '\n')
            emit(o, "\\n");
        else
            emit(o, "%c", *p);
    }
}

static void family(out *o, const char *name, const char *type, const char *help)
{
    emit(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef uint64_t (*field_fn)(const saga_rune *r);
static uint64_t f_inf(const saga_rune *r)
{
    return r->inferences;
}
static uint64_t f_traps(const saga_rune *r)
{
    return r->traps;
}
static uint64_t f_caps(const saga_rune *r)
{
    return r->cap_reads;
}
static uint64_t f_mem(const saga_rune *r)
{
    return r->mem_bytes;
}

static const struct {
    const char *name, *type, *help;
    field_fn get;
} rune_families[] = {
    {"rune_inferences_total", "counter", "Inferences run by the rune.", f_inf},
    {"rune_traps_total", "counter", "Traps raised by the rune.", f_traps},
    {"rune_capability_reads_total", "counter", "Reads of capabilities (sensors) by the rune.",
     f_caps},
    {"rune_memory_bytes", "gauge", "Memory held by the rune (linear memory and arena).", f_mem},
};

static void sample(out *o, const char *metric, const char *rune, const char *extra)
{
    emit(o, "%s{rune=\"", metric);
    emit_label(o, rune);
    emit(o, "\"%s}", extra);
}

rune_status rune_saga_prometheus(rune_saga *s, char *buf, size_t cap, size_t *len, rune_error *err)
{
    out o = {.buf = buf, .cap = buf ? cap : 0, .len = 0};
    pthread_mutex_lock(&s->mu);
    uint64_t now = s->now_ms(s->clock_ud);
    family(&o, "runicos_uptime_seconds", "gauge", "Time since the agent started.");
    emit(&o, "runicos_uptime_seconds %.3f\n", (double)(now - s->start_ms) / 1e3);
    family(&o, "runicos_log_dropped_total", "counter",
           "Log entries overwritten by the ring's wrap-around.");
    emit(&o, "runicos_log_dropped_total %llu\n", (unsigned long long)(saga_log_oldest(s) - 1));
    for (size_t f = 0; f < sizeof rune_families / sizeof rune_families[0]; f++) {
        family(&o, rune_families[f].name, rune_families[f].type, rune_families[f].help);
        for (size_t i = 0; i < s->n_runes; i++) {
            const saga_rune *r = &s->runes[i];
            if (!r->used) continue;
            sample(&o, rune_families[f].name, r->name, "");
            emit(&o, " %llu\n", (unsigned long long)rune_families[f].get(r));
        }
    }
    family(&o, "rune_uptime_seconds", "gauge", "Time since the rune was started.");
    for (size_t i = 0; i < s->n_runes; i++) {
        const saga_rune *r = &s->runes[i];
        if (!r->used) continue;
        sample(&o, "rune_uptime_seconds", r->name, "");
        emit(&o, " %.3f\n", (double)(now - r->added_ms) / 1e3);
    }
    static const char lat[] = "rune_inference_latency_seconds";
    family(&o, lat, "summary", "Time of one inference.");
    for (size_t i = 0; i < s->n_runes; i++) {
        const saga_rune *r = &s->runes[i];
        if (!r->used) continue;
        static const struct {
            const char *label;
            double q;
        } qs[] = {
            {",quantile=\"0.5\"", 0.5}, {",quantile=\"0.9\"", 0.9}, {",quantile=\"0.99\"", 0.99}};
        for (size_t k = 0; k < 3; k++) {
            sample(&o, lat, r->name, qs[k].label);
            if (r->lat.count)
                emit(&o, " %.9g\n", (double)rune_saga_hist_quantile(&r->lat, qs[k].q) / 1e6);
            else
                emit(&o, " NaN\n");
        }
        sample(&o, "rune_inference_latency_seconds_sum", r->name, "");
        emit(&o, " %.9g\n", (double)r->lat.sum / 1e6);
        sample(&o, "rune_inference_latency_seconds_count", r->name, "");
        emit(&o, " %llu\n", (unsigned long long)r->lat.count);
    }
    pthread_mutex_unlock(&s->mu);
    *len = o.len;
    if (o.len >= o.cap)
        return RUNE_ERR(err, RUNE_E_LIMIT,
                        "saga: Prometheus text needs %zu bytes, buffer holds %zu", o.len + 1,
                        o.cap);
    return RUNE_OK;
}

rune_status rune_saga_prometheus_alloc(rune_saga *s, char **outp, size_t *len, rune_error *err)
{
    *outp = NULL;
    size_t cap = 4096;
    for (int tries = 0; tries < 4; tries++) {
        char *buf = rune_malloc(cap);
        if (!buf) return RUNE_ERR(err, RUNE_E_NOMEM, "saga: out of memory");
        rune_status st = rune_saga_prometheus(s, buf, cap, len, err);
        if (st == RUNE_OK) {
            *outp = buf;
            return RUNE_OK;
        }
        rune_free(buf);
        if (st != RUNE_E_LIMIT) return st;
        cap = *len + 1024; /* runes may have been added since: leave room */
    }
    return RUNE_ERR(err, RUNE_E_INTERNAL, "saga: Prometheus text kept growing");
}

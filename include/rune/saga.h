/*
 * saga.h - LibSaga: health of the runes on a device - counters, latency histograms, a bounded log
 * ring - and their export as CBOR (for the SMP rune group) and as Prometheus text.
 *
 * A registry (rune_saga) holds a fixed number of rune slots and a fixed log ring, both allocated
 * when it is created: recording a sample or a log line never allocates, and costs a mutex round
 * trip (one mutex per registry, so the agent's threads may record at will).
 *
 * Latency histograms are log-linear (HdrHistogram-like): values below 2^S are counted exactly, and
 * every power-of-two range above is cut into 2^S equal buckets, S = RUNE_SAGA_HIST_SUB_BITS. A
 * quantile is reported as the middle of its bucket, so it lies within 2^-(S+1) of the true value
 * (1.6 % for S = 5). Values are microseconds; those at or above 2^RUNE_SAGA_HIST_MAX_BITS (19 h)
 * land in the last bucket, while min, max and sum stay exact.
 *
 * The CBOR answer of the SMP metrics command (pairs written into the answer's open map):
 *   "uptime_ms": uint, "log_dropped": uint,
 *   "runes": [{"name": tstr, "uptime_ms": uint, "inferences": uint, "traps": uint,
 *              "cap_reads": uint, "mem_bytes": uint,
 *              "latency_us": {"count", "sum", "min", "max", "p50", "p90", "p99": uint}}]
 * and of the logs command: "next": uint, "dropped": uint,
 *   "entries": [{"seq": uint, "t_ms": uint, "level": uint, "rune": tstr, "msg": tstr}]
 */
#ifndef RUNE_SAGA_H
#define RUNE_SAGA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rune/smp.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 32 sub-buckets per power of two: quantiles within 1.6 %, 4 KB per histogram. */
#ifndef RUNE_SAGA_HIST_SUB_BITS
#define RUNE_SAGA_HIST_SUB_BITS 5
#endif
/* Microsecond values up to 2^36 (19 hours) get their own bucket. */
#ifndef RUNE_SAGA_HIST_MAX_BITS
#define RUNE_SAGA_HIST_MAX_BITS 36
#endif
#define RUNE_SAGA_HIST_BUCKETS                                                                     \
    ((RUNE_SAGA_HIST_MAX_BITS - RUNE_SAGA_HIST_SUB_BITS + 1) << RUNE_SAGA_HIST_SUB_BITS)
/* Longest rune name kept (longer names are refused). */
#define RUNE_SAGA_NAME_MAX 63
/* Longest log message kept (longer ones are cut). */
#ifndef RUNE_SAGA_LOG_MSG_MAX
#define RUNE_SAGA_LOG_MSG_MAX 160
#endif

/* ---- histogram ---- */

typedef struct rune_saga_hist {
    uint64_t count, sum, min, max;
    uint32_t b[RUNE_SAGA_HIST_BUCKETS];
} rune_saga_hist;

void rune_saga_hist_reset(rune_saga_hist *h);
void rune_saga_hist_record(rune_saga_hist *h, uint64_t v);
/* The q-quantile (0 <= q <= 1) by nearest rank: the middle of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty. */
uint64_t rune_saga_hist_quantile(const rune_saga_hist *h, double q);
/* Bucket of a value and the value range [low, high] of a bucket. */
size_t rune_saga_hist_bucket(uint64_t v);
uint64_t rune_saga_hist_bucket_low(size_t i);
uint64_t rune_saga_hist_bucket_high(size_t i);

/* ---- registry ---- */

enum { RUNE_SAGA_ERROR = 0, RUNE_SAGA_WARN = 1, RUNE_SAGA_INFO = 2, RUNE_SAGA_DEBUG = 3 };
/* "error", "warn", "info", "debug"; "?" for anything else. */
const char *rune_saga_level_name(int level);

typedef struct rune_saga_config {
    size_t max_runes;   /* rune slots (default 16) */
    size_t log_entries; /* log ring size (default 256) */
    /* clock in milliseconds (default CLOCK_MONOTONIC); tests pass their own */
    uint64_t (*now_ms)(void *ud);
    void *clock_ud;
} rune_saga_config;

typedef struct rune_saga rune_saga;

rune_status rune_saga_create(rune_saga **out, const rune_saga_config *cfg, rune_error *err);
void rune_saga_destroy(rune_saga *s); /* accepts NULL */

/* Add a rune (name 1..63 bytes); *id is its handle for the recording calls. INVALID when the name
 * is taken, LIMIT when every slot is in use. */
rune_status rune_saga_rune_add(rune_saga *s, const char *name, int *id, rune_error *err);
int rune_saga_rune_find(rune_saga *s, const char *name); /* -1 when absent */
void rune_saga_rune_remove(rune_saga *s, int id);

/* Recording: no allocation; an unknown id is ignored. */
void rune_saga_inference(rune_saga *s, int id, uint64_t latency_us);
void rune_saga_trap(rune_saga *s, int id);
void rune_saga_cap_read(rune_saga *s, int id, uint64_t n);
void rune_saga_memory(rune_saga *s, int id, uint64_t bytes);
/* Append to the log ring (id -1: the agent itself); the oldest entry goes when it is full. */
void rune_saga_log(rune_saga *s, int id, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void rune_saga_logv(rune_saga *s, int id, int level, const char *fmt, va_list ap);

typedef struct rune_saga_stats {
    char name[RUNE_SAGA_NAME_MAX + 1];
    uint64_t uptime_ms, inferences, traps, cap_reads, mem_bytes;
    uint64_t lat_count, lat_sum, lat_min, lat_max, p50, p90, p99;
} rune_saga_stats;
rune_status rune_saga_stats_get(rune_saga *s, int id, rune_saga_stats *out, rune_error *err);
uint64_t rune_saga_uptime_ms(rune_saga *s);

typedef struct rune_saga_log_entry {
    uint64_t seq, t_ms; /* seq counts from 1 and never repeats */
    int level;
    char rune[RUNE_SAGA_NAME_MAX + 1]; /* "" for the agent */
    char msg[RUNE_SAGA_LOG_MSG_MAX + 1];
} rune_saga_log_entry;
/* Entries with seq >= since, oldest first, at most max, only of rune `name` when not NULL; fn is
 * called under the registry's lock (it must not call back into s) and returns false to stop before
 * that entry (no room left). *next is the seq to ask for next time; *dropped how many entries
 * after since were overwritten before this read. */
void rune_saga_logs_read(rune_saga *s, uint64_t since, size_t max, const char *name,
                         bool (*fn)(void *ud, const rune_saga_log_entry *e), void *ud,
                         uint64_t *next, uint64_t *dropped);

/* Exports. The CBOR forms write key/value pairs into a map the caller opened (see the top of the
 * file); name NULL = every rune, else NOT_FOUND when that rune is absent. */
rune_status rune_saga_cbor_metrics(rune_saga *s, const char *name, rune_cbor_enc *e,
                                   rune_error *err);
/* The logs answer stops early when the next entry might not fit in the encoder's buffer (e->cap):
 * "next" then tells the client where to go on. */
rune_status rune_saga_cbor_logs(rune_saga *s, uint64_t since, size_t max, const char *name,
                                rune_cbor_enc *e, rune_error *err);
/* Prometheus text exposition format (version 0.0.4) into buf; LIMIT when cap is too small, with
 * *len the size needed. */
rune_status rune_saga_prometheus(rune_saga *s, char *buf, size_t cap, size_t *len, rune_error *err);
/* The same into a buffer from rune_malloc (caller frees with rune_free). */
rune_status rune_saga_prometheus_alloc(rune_saga *s, char **out, size_t *len, rune_error *err);

/* ---- SMP glue ---- */

/* Register the handlers of the SMP rune group's metrics (3) and logs (4) commands, answering from
 * s: metrics {"name"?} -> the snapshot above (ENOENT for an unknown name); logs {"since", "max"
 * (default and cap RUNE_SAGA_SMP_LOGS_MAX), "name"?}. s must outlive the server. */
#ifndef RUNE_SAGA_SMP_LOGS_MAX
#define RUNE_SAGA_SMP_LOGS_MAX 64
#endif
rune_status rune_saga_register_smp(rune_saga *s, rune_smp_server *srv, rune_error *err);

/* Client side: read a metrics answer (c->rsp->doc after rune_smp_rune_cmd(c,
 * RUNE_SMP_RUNE_METRICS, ...)): *uptime_ms, and fn once per rune. PROTOCOL when it is not one. */
rune_status rune_saga_metrics_parse(const rune_cbor_doc *doc, uint64_t *uptime_ms,
                                    void (*fn)(void *ud, const rune_saga_stats *st), void *ud,
                                    rune_error *err);

#ifdef __cplusplus
}
#endif
#endif

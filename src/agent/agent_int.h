/*
 * agent_int.h - internals shared by the files of src/agent: the agent struct, the store, the rune
 * checks, the supervisor and the SMP handlers.
 */
#ifndef RUNE_AGENT_INT_H
#define RUNE_AGENT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rune/agent.h"
#include "rune/runicos.h"
#include "rune/saga.h"
#include "rune/sign.h"
#include "rune/smp.h"

#define AGENT_MAX_TRANSPORTS 4
#define AGENT_HEX_LEN 64

/* One installed rune: its file hash and what its manifest says. */
typedef struct agent_slot {
    bool present;
    char hash[AGENT_HEX_LEN + 1]; /* lowercase hex SHA-256 of the file */
    char name[64], version[32];
} agent_slot;

/* What state.json holds. */
typedef struct agent_state {
    agent_slot active, previous;
    bool confirmed;    /* active rune confirmed (off probation) */
    bool previous_bad; /* the previous rune failed its probation */
    bool stopped;      /* stopped by the user */
} agent_state;

typedef enum agent_run_state {
    AGENT_NONE = 0, /* no rune installed */
    AGENT_RUNNING,
    AGENT_BACKOFF,
    AGENT_STOPPED,
    AGENT_FAILED,
} agent_run_state;

struct rune_agent {
    rune_agent_profile prof;
    rune_agent_options opt;
    char dir_runes[RUNE_AGENT_PATH_MAX + 16];
    agent_state st;

    /* policy */
    rune_trust_policy trust;
    rune_cap_provider *providers[RUNE_AGENT_MAX_CAPS];
    size_t nproviders;
    unsigned offered; /* bit per kind offered by a provider */

    /* SMP */
    rune_smp_server *srv;
    rune_smp_transport *tr[AGENT_MAX_TRANSPORTS];
    size_t ntr;
    rune_smp_transport *serial_t; /* the profile's serial line while open */
    bool serial_down;             /* lost: reopened every second (a USB adapter unplugged) */
    uint64_t serial_retry_ms;
    rune_smp_img_recv recv;
    FILE *staging;   /* upload.part while an upload is open */
    bool io_failing; /* a transport failed in the last round (logged once) */
    int http_fd;     /* --metrics-port listener, -1 */
    uint16_t http_port;

    /* LibSaga */
    rune_saga *saga;
    int saga_id;                  /* of the active rune, -1 */
    FILE *log_file, *serial_file; /* cookies that feed the log ring */

    /* supervisor */
    rune_wasm_engine *aot; /* engine "aot": shared, cache under the store */
    char aot_dir[RUNE_AGENT_PATH_MAX + 16];
    agent_run_state run;
    uint8_t *bytes; /* the active rune's file */
    size_t len;
    rune_host *host;
    uint64_t next_due_ms, started_ms, period_ms;
    uint32_t consecutive_failures, probation_good, probation_failures;
    uint64_t prev_cap_reads;
    uint64_t calls, good_calls, failures, restarts, rollbacks, calls_started;

    /* rune thread (options.rune_thread): mu guards everything above; the rune thread drops it
     * for the call (calling set), and whoever replaces the host waits on cv until !calling */
    bool threaded;
    pthread_t worker;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool calling, worker_stop;
    unsigned waiters; /* threads in agent_sup_quiesce */
};

/* ---- files and store (store.c) ---- */
/* Write path atomically: path.tmp, fsync, (fault step check), rename, fsync dir. */
rune_status agent_write_atomic(rune_agent *a, const char *path, const void *data, size_t len,
                               int step_tmp, int step_rename, rune_error *err);
rune_status agent_fsync_dir(const char *dir, rune_error *err);
int agent_fault(rune_agent *a, int step); /* nonzero: stop here */
void agent_hex(const uint8_t *p, size_t n, char *out);
rune_status agent_unhex32(const char *hex, uint8_t out[32]);
void agent_rune_path(const rune_agent *a, const char *hash, char *out, size_t cap);
/* Read state.json into a->st and check the files it names (falling back); writes the repaired
 * state back when it changed; removes files nothing names. */
rune_status agent_store_recover(rune_agent *a, rune_error *err);
rune_status agent_state_save(rune_agent *a, const agent_state *st, int step_tmp, int step_rename,
                             rune_error *err);
/* Read a rune file and check its SHA-256 against hash. */
rune_status agent_rune_load(rune_agent *a, const char *hash, uint8_t **bytes, size_t *len,
                            rune_error *err);
/* Remove rune files that are not the active or previous one, and leftover temp files. */
void agent_store_gc(rune_agent *a);

/* ---- checks before install (check.c) ---- */
/* Container, signature, capabilities, trial instantiation. On refusal: the status, err->msg the
 * reason, *rc the SMP rc. name/version filled on success. */
rune_status agent_check_rune(rune_agent *a, const uint8_t *bytes, size_t len, agent_slot *slot,
                             int *rc, rune_error *err);
void agent_host_config(rune_agent *a, rune_host_config *cfg);

/* ---- install and image state (install.c) ---- */
/* The staged file (already checked, hash known) becomes the active rune on probation. */
rune_status agent_install_staged(rune_agent *a, const char *staged_path, const agent_slot *slot,
                                 rune_error *err);
/* Switch to the previous rune (confirmed or on probation); rollback also marks the old active bad.
 */
rune_status agent_switch_previous(rune_agent *a, bool confirm, bool mark_bad, rune_error *err);
rune_status agent_confirm(rune_agent *a, rune_error *err);

/* ---- supervisor (supervisor.c) ---- */
/* Load the active rune from the store and (unless stopped) start it now. */
void agent_sup_reload(rune_agent *a);
void agent_sup_stop(rune_agent *a); /* free the host */
/* Run a call if one is due; returns ms until the next call (-1 = none due). */
int agent_sup_tick(rune_agent *a, uint64_t now);
/* The rune thread: start it (a->threaded), stop and join it. */
rune_status agent_sup_thread_start(rune_agent *a, rune_error *err);
void agent_sup_thread_stop(rune_agent *a);
/* With the rune thread: wait (under a->mu) until no call runs, so the host, its providers and the
 * engine may be used or replaced. No-op without it. */
void agent_sup_quiesce(rune_agent *a);
void agent_lock(rune_agent *a);
void agent_unlock(rune_agent *a);
const char *agent_run_state_name(agent_run_state s);
uint64_t agent_now_ms(void);

/* ---- SMP handlers (agent_smp.c) and log cookies (logsink.c) ---- */
rune_status agent_smp_register(rune_agent *a, rune_error *err);
/* OS reset: drop what runs and start again from the store, as after a reboot (agent.c). */
void agent_reset(rune_agent *a);
/* The OS handlers (echo, params with this mtu, info, reset). */
rune_status agent_smp_register_os(rune_agent *a, size_t mtu, rune_error *err);
rune_status agent_upload_resume(rune_agent *a);
rune_status agent_logs_open(rune_agent *a, rune_error *err);
void agent_logs_close(rune_agent *a);
/* metrics_http.c: serve waiting scrapes; close the listener. */
void agent_http_poll(rune_agent *a);
void agent_http_close(rune_agent *a);
void agent_log(rune_agent *a, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif

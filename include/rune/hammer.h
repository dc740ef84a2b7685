/*
 * hammer.h - Hammer (hmr): find devices, cast runes onto them, watch them, undo.
 *
 * A target is a device reachable over SMP: UDP "host:port" or a serial tty. Targets come from a
 * config file (one a line: "ID udp HOST:PORT" or "ID serial PATH [BAUD] [console]", '#'
 * comments), from a broadcast of an SMP request on the local networks (rune_hmr_discover), from the
 * serial ports of the machine (/dev/ttyUSB*, /dev/ttyACM*) and from a network probe (an OS info
 * request sent to a list of host:port addresses at once; whoever answers is a device).
 *
 * Casting a rune (rune_hmr_cast) goes through the steps of the paper, each reported to a callback
 * so a CLI can draw progress bars or emit JSON:
 *   1. reading rune        the container opens locally (digests, manifest)
 *   2. verifying provider  the device answers as RunicOS (caps: device name, provider)
 *   3. capability          one check per capability the rune declares: offered and allowed
 *   4. uploading           SMP image upload; resumes from the device's acknowledged offset after a
 *                          break (also across casts: the device keeps the session). Over serial
 *                          the binary framing is negotiated first (unless target.console); chunks
 *                          are pipelined (smp.h, rune_smp_upload)
 *   5. verifying rune      the device's checks of the whole image (SHA-256, container, signature,
 *                          capabilities, a trial start) and the install; its refusal is reported
 *   6. starting            the device runs the rune on probation; the cast waits until it is
 *                          confirmed, or reports the automatic rollback
 * Nothing here allocates per byte of the rune; one connection is used from one thread.
 */
#ifndef RUNE_HAMMER_H
#define RUNE_HAMMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rune/smp.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long a probe waits for answers, total (all addresses are asked at once). */
#ifndef RUNE_HMR_PROBE_MS
#define RUNE_HMR_PROBE_MS 300
#endif
/* Most targets one listing holds. */
#define RUNE_HMR_MAX_TARGETS 256

typedef enum rune_hmr_type { RUNE_HMR_UDP = 1, RUNE_HMR_SERIAL = 2 } rune_hmr_type;
const char *rune_hmr_type_name(rune_hmr_type t); /* "udp", "serial" */

typedef struct rune_hmr_target {
    char id[64]; /* config id, or the address for discovered targets */
    rune_hmr_type type;
    char address[256]; /* "host:port" or a tty path */
    int baud;          /* serial only; 0 = 115200 */
    bool console;      /* serial only: keep MCUmgr's console framing (casts otherwise negotiate
                          the binary framing with the device, see smp.h) */
    char source[16];   /* "config", "serial", "network" */
    char name[64];     /* device name from the probe; "" when it did not answer */
    bool available;    /* answered the probe (network, config) / can be opened (serial ports) */
} rune_hmr_target;

typedef struct rune_hmr_targets {
    rune_hmr_target *v; /* rune_malloc'd */
    size_t n, cap;
} rune_hmr_targets;

void rune_hmr_targets_free(rune_hmr_targets *ts); /* accepts NULL; leaves it empty */
/* The target with this id, or NULL. */
const rune_hmr_target *rune_hmr_targets_find(const rune_hmr_targets *ts, const char *id);

/* Parse a targets file's text (len bytes): errors name the line ("targets:3: ..."): MALFORMED
 * for a line that does not split, INVALID for a bad type, port, baud or a repeated id. The
 * targets are appended to ts (source "config"). path is only used in messages. */
rune_status rune_hmr_config_parse(const char *text, size_t len, const char *path,
                                  rune_hmr_targets *ts, rune_error *err);
/* Read and parse a file; a missing file is NOT_FOUND. */
rune_status rune_hmr_config_load(const char *path, rune_hmr_targets *ts, rune_error *err);
/* The default config path: $RUNE_TARGETS, else $XDG_CONFIG_HOME/rune/targets, else
 * $HOME/.config/rune/targets. */
void rune_hmr_config_default_path(char *out, size_t cap);

/* Append the serial ports of this machine (glob patterns; NULL = /dev/ttyUSB* and /dev/ttyACM*),
 * available when they can be opened for reading and writing. */
rune_status rune_hmr_scan_serial(const char *const *patterns, rune_hmr_targets *ts,
                                 rune_error *err);
/* Append network targets "host:port" (source "network") for each address, skipping addresses
 * already in ts; ports lo..hi on host when lo != 0. */
rune_status rune_hmr_add_udp(rune_hmr_targets *ts, const char *host, uint16_t lo, uint16_t hi,
                             rune_error *err);
/* What rune_hmr_probe does besides asking the network and config targets. */
enum {
    RUNE_HMR_PROBE_DROP_SILENT = 1,  /* remove network targets that did not answer */
    RUNE_HMR_PROBE_SERIAL_PORTS = 2, /* also ask the scanned serial ports (available = answered) */
};
/* Probe every target of ts: UDP targets all at once (one socket, answers matched by address,
 * at most timeout_ms in total), config serial targets one by one (timeout_ms each). Fills name
 * and available. flags: RUNE_HMR_PROBE_*. */
rune_status rune_hmr_probe(rune_hmr_targets *ts, int timeout_ms, unsigned flags, rune_error *err);

/* Find devices nobody listed: an SMP OS info request to port (0 = 1337) at each address of addrs
 * (IPv4, NULL-terminated, at most 16; NULL = the broadcast address of every IPv4 interface that
 * has one, see rune_hmr_broadcast_addrs), answers collected for timeout_ms (0 =
 * RUNE_HMR_PROBE_MS). Each answering "ip:port" becomes (or marks) a network target, available,
 * with the device's name. INVALID for an address that does not parse; no interface is fine. */
rune_status rune_hmr_discover(rune_hmr_targets *ts, const char *const *addrs, uint16_t port,
                              int timeout_ms, rune_error *err);
/* The broadcast addresses of the machine's IPv4 interfaces that are up and not loopback (at most
 * cap, without repeats). */
rune_status rune_hmr_broadcast_addrs(char (*out)[64], size_t cap, size_t *n, rune_error *err);

/* ---- a connection to one target ------------------------------------------------------------ */

typedef struct rune_hmr_conn {
    rune_smp_transport *t;
    rune_smp_client c;
    rune_hmr_target target;
} rune_hmr_conn;

/* Open the transport and a client: timeout_ms per try (0 = 1000), retries as the client's. */
rune_status rune_hmr_connect(const rune_hmr_target *target, int timeout_ms, rune_hmr_conn *out,
                             rune_error *err);
/* Over a transport the caller made (tests: a pty master); the connection owns t. */
rune_status rune_hmr_connect_transport(rune_smp_transport *t, int timeout_ms, rune_hmr_conn *out,
                                       rune_error *err);
void rune_hmr_disconnect(rune_hmr_conn *c); /* accepts a zeroed or closed one */

/* ---- cast ----------------------------------------------------------------------------------- */

typedef enum rune_hmr_step {
    RUNE_HMR_STEP_READ_RUNE = 0,
    RUNE_HMR_STEP_PROVIDER,
    RUNE_HMR_STEP_CAPABILITY,
    RUNE_HMR_STEP_UPLOAD,
    RUNE_HMR_STEP_VERIFY_RUNE,
    RUNE_HMR_STEP_START,
    RUNE_HMR_STEP_COUNT
} rune_hmr_step;
/* "reading rune", "verifying provider", "capability", "uploading", "verifying rune", "starting" */
const char *rune_hmr_step_name(rune_hmr_step s);

typedef enum rune_hmr_event_kind {
    RUNE_HMR_EV_BEGIN,    /* a step starts (detail: what) */
    RUNE_HMR_EV_PROGRESS, /* upload: done of total bytes */
    RUNE_HMR_EV_END,      /* a step ended: ok, detail says how */
} rune_hmr_event_kind;

typedef struct rune_hmr_event {
    rune_hmr_event_kind kind;
    rune_hmr_step step;
    bool ok;
    const char *detail; /* NUL-terminated, valid during the call */
    size_t done, total;
} rune_hmr_event;

typedef struct rune_hmr_cast_opts {
    void (*on_event)(void *ud, const rune_hmr_event *ev); /* may be NULL */
    void *ud;
    bool force;          /* upload even when the capability check fails (the device decides) */
    int resumes;         /* how many times to resume a broken upload (or send it again after a
                            SHA-256 mismatch) within this cast (default 0) */
    int confirm_wait_ms; /* how long to wait for the device to confirm the rune; 0 = 10000,
                            < 0 = do not wait */
} rune_hmr_cast_opts;

typedef struct rune_hmr_cast_result {
    char name[64], version[32];
    uint8_t sha[32];
    size_t len;
    size_t resumed_from; /* the offset the device held when this cast began (0 = fresh) */
    unsigned long n_requests, n_resyncs, n_retries;
    unsigned long n_reuploads; /* uploads started over after a SHA-256 mismatch */
    double upload_s;           /* wall time of the upload step */
    double finish_s;           /* of which the wait for the last answer (the device checks and
                                  installs the image before it answers) */
    char framing[16];          /* "udp", "console" or "binary" */
    unsigned long n_rewinds;   /* times a lost chunk sent the pipelined upload back */
    bool installed;            /* the device took the image */
    bool confirmed;            /* ... ran it through probation */
    bool rolled_back;          /* ... and rolled it back automatically */
    char state[16];            /* the rune's state at the end ("running", ...) */
    char device[64], provider[64];
} rune_hmr_cast_result;

/* Cast a rune (bytes borrowed) onto the device. RUNE_OK when installed and (unless the wait is
 * off) confirmed. DENIED when a capability is missing (before anything is sent) or the device
 * refused the rune (err has its reason), VERIFY when the device's SHA-256 did not match, TRAP when
 * the rune was rolled back, TIMEOUT / IO when the link broke (call again to resume). */
rune_status rune_hmr_cast(rune_hmr_conn *c, const uint8_t *rune, size_t len,
                          const rune_hmr_cast_opts *opts, rune_hmr_cast_result *res,
                          rune_error *err);

/* ---- watching and undoing -------------------------------------------------------------------- */

typedef struct rune_hmr_status {
    char device[64], provider[64], previous[64];
    bool probation;
    size_t n;
    rune_smp_rune_info runes[4];
} rune_hmr_status;

rune_status rune_hmr_get_status(rune_hmr_conn *c, rune_hmr_status *out, rune_error *err);
/* Manual rollback: make the previous rune the active one, confirmed. NOT_FOUND when the device
 * holds no previous rune. *name gets the rune now active (may be NULL). */
rune_status rune_hmr_rollback(rune_hmr_conn *c, char *name, size_t cap, rune_error *err);
/* Start / stop the active rune (name NULL = whichever is active); *state gets the new state. */
rune_status rune_hmr_start_stop(rune_hmr_conn *c, bool start, const char *name, char *state,
                                size_t cap, rune_error *err);
/* Metrics (LibSaga's snapshot) as JSON text (rune_malloc'd, caller rune_frees). */
rune_status rune_hmr_metrics_json(rune_hmr_conn *c, const char *name, char **json, rune_error *err);
/* The device's Prometheus text, all pages (rune_malloc'd). */
rune_status rune_hmr_metrics_prometheus(rune_hmr_conn *c, char **text, rune_error *err);

/* One number out of a metrics answer: the rune's counter ("inferences", "traps", "cap_reads",
 * "mem_bytes") or latency quantile ("p50", ...), from the last metrics request on c. */
rune_status rune_hmr_metric(rune_hmr_conn *c, const char *rune, const char *key, uint64_t *out,
                            rune_error *err);

/* A CBOR map (doc item idx) as JSON (rune_malloc'd text): byte strings as lower-case hex. */
rune_status rune_hmr_cbor_to_json(const rune_cbor_doc *doc, uint32_t idx, char **json,
                                  rune_error *err);

#ifdef __cplusplus
}
#endif
#endif

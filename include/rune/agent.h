/*
 * agent.h - runicosd, the RunicOS device agent: holds runes in an atomic store, runs the active one
 * continuously, enforces the device's capability and signature policy, rolls back a rune that keeps
 * failing on probation, and answers Hammer over SMP (UDP and serial).
 *
 * Probation survives a restart of the agent (its counts start again), as the store keeps
 * "confirmed": false until the rune earns it.
 *
 * Also: Prometheus text over HTTP on loopback (rune_agent_metrics_listen); a serial line that
 * hangs up is reopened at its path every second; every call runs on a fuel budget.
 *
 * The device is described by a profile (JSON, see docs/device-profile.md): name, provider, the
 * capabilities it offers and their sources, memory limit, engine, run rate, policy, store
 * directory, transports. The agent is single-threaded: rune_agent_poll serves SMP requests and runs
 * the rune when a call is due, in one loop (rune_agent_run repeats it until asked to stop).
 *
 * Store (under profile.store): runes/<sha256 hex>.rune (content-addressed; the hash is the SHA-256
 * of the whole file, the one the upload carries) and state.json {"active", "previous", "confirmed",
 * "previous_bad", "stopped"}. Every write is temp file + fsync + rename + fsync of the directory,
 * so a SIGKILL at any point leaves the old or the new state. At start the agent checks the SHA-256
 * of the rune the state names and falls back to the previous one (and then to none) when it is
 * missing or damaged; files nothing names are removed.
 *
 * ---- What the agent answers (the contract with hmr) ------------------------------------------
 * Errors are SMP-level "rc" (RUNE_SMP_ERR_*) with a "rsn" text unless said otherwise.
 *
 * OS group: echo, params, reset (W {} -> {}; the agent stops the rune and starts again from its
 *   store as after a reboot, then answers), info (R {"format"} -> {"output"}: uname letters as in
 *   smp.h, except that 'n' is the profile's device name).
 *
 * IMAGE group
 *   upload (W): as in smp.h. Chunks go to <store>/upload.part; an interrupted upload resumes from
 *     the last acknowledged offset (first packet again with the same len and sha; also across an
 *     agent restart). On the last chunk, before anything is replaced, the agent checks in order:
 *       SHA-256 of the whole image ("match": false, nothing installed, when it differs);
 *       the container (rune_container_open)                 -> rc EINVAL   "rune rejected: ...";
 *       the signature policy                                -> rc EACCESSDENIED
 *                                                              "signature: no signature but ...";
 *       the capabilities against the profile and policy     -> rc EACCESSDENIED
 *         "rune needs IMAGE, this device offers SOUND, RAND" or
 *         "rune needs IMAGE, which this device's policy does not allow";
 *       a trial instantiation (imports, memory limit)       -> rc EINVAL   "rune rejected: ...".
 *     Then it installs the image atomically and makes it the active rune ON PROBATION (slot 0:
 *     active, pending, not confirmed); the old active becomes the previous (slot 1). The answer to
 *     the last chunk is sent after the install: {"rc": 0, "off": len, "match": true}.
 *     An image equal to the active one is accepted and changes nothing. An image larger than the
 *     profile's max_rune_bytes is refused at its first packet (rc ENOMEM, "exceeds N"). The
 *     session ends with the last chunk: casting the same image again uploads and installs it again.
 *   state R {} -> {"images": [...]} with slot 0 = the active rune (active, bootable, confirmed or
 *     pending = on probation), slot 1 = the previous one (bootable unless it failed its probation).
 *     version = the rune's manifest version; hash = SHA-256 of the file (32 bytes).
 *   state W {"hash": H, "confirm": false} (test): H = the active rune: nothing changes; H = the
 *     previous rune: it becomes the active rune on probation (the old active becomes previous).
 *   state W {"confirm": true} (no hash, or H = active): confirm the active rune (ends probation);
 *     {"hash": previous, "confirm": true}: switch to the previous rune, confirmed (a manual
 *     rollback). An unknown H is rc ENOENT; a "hash" of another length than 32, or a test
 *     without a hash, is EINVAL.
 *
 * RUNE group (64)
 *   start W {"name"?} -> {"state"}: runs the active rune again (after stop or failure); ENOENT when
 *     no rune is installed or the name is not the active rune's.
 *   stop  W {"name"?} -> {"state": "stopped"}: stops it; the choice is kept in the store.
 *   status R {"name"?} -> {"runes": [{name, version, state, digest, uptime_ms}], "device": name,
 *     "provider": provider, "probation": bool, "previous": tstr (the previous rune's name or "")}.
 *     digest = the SHA-256 of the file (the image hash). state is one of "running", "backoff"
 *     (waiting to restart after a trap), "stopped", "failed" (rolled back / could not start).
 *     No rune installed: "runes": [].
 *   metrics, logs: LibSaga's answers (saga.h). Guest logs, the rune's SERIAL output lines and the
 *     agent's own notices (install, trap, restart, rollback with the reason) are in the log ring.
 *   caps R {} -> {"caps": [{kind, name, allowed}], "device", "provider"}: name = the source
 *     ("file:yes.wav", "seed:42", "signal:sine 440 Hz").
 *   prometheus (6) R {"off"?: uint} -> {"text": tstr, "off": uint (next offset), "len": uint
 *     (whole text)}: LibSaga's Prometheus text, paged to fit the link's mtu.
 */
#ifndef RUNE_AGENT_H
#define RUNE_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rune/saga.h"
#include "rune/smp.h"
#include "rune/status.h"
#include "rune/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Our rune-group command for the Prometheus text (after caps = 5). */
enum { RUNE_AGENT_SMP_PROMETHEUS = 6 };

#define RUNE_AGENT_MAX_CAPS 8
/* Instructions one call (and _manifest, and the start function) may run before it is stopped with
 * RUNE_E_LIMIT: a rune that never returns must not take the agent, and with it the SMP link, down.
 * About a second on the interpreter; microspeech needs under 10 million a call.
 */
#ifndef RUNE_AGENT_DEFAULT_FUEL
#define RUNE_AGENT_DEFAULT_FUEL 200000000ull
#endif
#define RUNE_AGENT_PATH_MAX 512

/* One capability the device offers and what feeds it. */
typedef struct rune_agent_cap {
    int kind;        /* RUNE_CAP_* */
    char source[16]; /* "file", "seed" (rand), "signal" (simulated), "device" (ALSA, V4L2) */
    char path[RUNE_AGENT_PATH_MAX]; /* file: absolute, or relative to the profile; device: its name
                                     */
    bool loop;                      /* start the file again at its end (default true) */
    uint64_t seed;                  /* rand; noise of a simulated signal */
    char signal[16];                /* simulated: "sine", "noise", "silence" (sound, accel) */
    double freq_hz, amplitude;      /* simulated sine: frequency, amplitude (0..1 of full scale) */
} rune_agent_cap;

typedef struct rune_agent_profile {
    char name[64];     /* device name, required */
    char provider[64]; /* e.g. "linux:x86_64" (default) */
    rune_agent_cap caps[RUNE_AGENT_MAX_CAPS];
    size_t ncaps;
    uint32_t memory_pages;        /* cap on the rune's linear memory (64 KiB pages); 0 = default */
    uint64_t fuel_per_call;       /* default RUNE_AGENT_DEFAULT_FUEL; 0 = unlimited */
    rune_wasm_engine_kind engine; /* "interp" (default) or "aot" */
    double rate_hz;               /* calls per second; 0 = as the rune's capabilities set */
    /* policy */
    unsigned allowed_caps; /* bit (1 << RUNE_CAP_*) per allowed kind; 0 = every offered kind */
    bool require_signature;
    char trusted_keys[4][RUNE_AGENT_PATH_MAX]; /* public key files (sign.h) */
    size_t ntrusted_keys;
    char trust_policy[RUNE_AGENT_PATH_MAX]; /* optional trust policy file (sign.h) */
    /* test-then-confirm */
    uint32_t probation_calls;   /* good calls that confirm a new rune (default 5) */
    uint32_t rollback_failures; /* failures on probation that roll back (default 3) */
    bool auto_confirm;          /* confirm after probation_calls good calls (default true) */
    uint32_t backoff_min_ms, backoff_max_ms; /* restart backoff after a trap (default 100, 5000) */
    size_t max_rune_bytes;                   /* largest upload accepted (default 16 MiB) */
    char store[RUNE_AGENT_PATH_MAX];         /* store directory, required */
    char udp[128];                           /* "ADDR:PORT" to listen on, "" = none */
    char serial[RUNE_AGENT_PATH_MAX];        /* tty path, "" = none */
    int baud;                                /* default 115200 */
} rune_agent_profile;

/* The defaults above, with empty name and store. */
void rune_agent_profile_defaults(rune_agent_profile *p);
/* Parse a JSON profile (docs/device-profile.md); relative paths are taken from base_dir (NULL =
 * the current directory). Every error names the key: INVALID / MALFORMED. */
rune_status rune_agent_profile_parse(const char *json, size_t len, const char *base_dir,
                                     rune_agent_profile *out, rune_error *err);
rune_status rune_agent_profile_load(const char *path, rune_agent_profile *out, rune_error *err);

/* Install steps, for the fault hook (a crash test stops the install at step k). */
typedef enum rune_agent_step {
    RUNE_AGENT_STEP_STAGED = 0, /* the image is complete and synced in upload.part */
    RUNE_AGENT_STEP_RUNE_FILE,  /* renamed to runes/<hash>.rune (+ dir fsync) */
    RUNE_AGENT_STEP_STATE_TMP,  /* state.json.tmp written and synced */
    RUNE_AGENT_STEP_STATE,      /* renamed to state.json (+ dir fsync): the switch */
    RUNE_AGENT_STEP_CLEANUP,    /* files nothing names removed */
    RUNE_AGENT_STEP_COUNT
} rune_agent_step;

/* A simulated-signal provider (sound or accel; see src/agent/sim_signal.c for the shapes): sine of
 * freq_hz at amplitude (0..1 of full scale, or of 1 g for accel), uniform noise, or silence. The
 * provider is rune_malloc'd; free it with rune_cap_provider_free (runicos.h). */
struct rune_cap_provider;
rune_status rune_agent_cap_signal(int kind, const char *signal, double freq_hz, double amplitude,
                                  uint64_t seed, struct rune_cap_provider **out, rune_error *err);

typedef struct rune_agent_options {
    /* Called before each install step; nonzero = stop there as if the process had died (the
     * install returns RUNE_E_IO "fault injected at step k" and touches nothing more). */
    int (*fault)(void *ud, int step);
    void *fault_ud;
    FILE *echo;      /* also write the agent's own log lines here (runicosd: stderr); NULL = no */
    bool echo_runes; /* and the runes' logs and output lines (runicosd --foreground) */
    size_t log_entries; /* LibSaga log ring (default 256) */
    /* Run the rune on a thread of its own (runicosd does): SMP requests are answered while a
     * call runs. The poll thread and the rune thread share the agent under one lock, which the
     * rune thread drops for the call itself; what replaces or inspects the running rune (install,
     * rollback, start/stop, reset, the checks of an upload's rune) waits for the call to end.
     * Without it the poll thread makes the calls between its rounds. */
    bool rune_thread;
} rune_agent_options;

typedef struct rune_agent rune_agent;

/* Open the store (recovering as described above) and the policy; no transports yet. opt may be
 * NULL. The profile is copied. */
rune_status rune_agent_create(const rune_agent_profile *p, const rune_agent_options *opt,
                              rune_agent **out, rune_error *err);
void rune_agent_destroy(rune_agent *a); /* accepts NULL; closes the transports */

/* Open the profile's transports (udp, serial). */
rune_status rune_agent_open_transports(rune_agent *a, rune_error *err);
/* Serve on t too; the agent owns t from now on (also on failure). */
rune_status rune_agent_add_transport(rune_agent *a, rune_smp_transport *t, rune_error *err);
/* Port of the first UDP transport (after binding port 0), 0 when none. */
uint16_t rune_agent_udp_port(const rune_agent *a);

/* Serve LibSaga's Prometheus text at http://127.0.0.1:PORT/metrics from the poll loop (port 0 =
 * any free port, see rune_agent_metrics_port). Loopback only: the device's metrics are not for the
 * network at large. */
rune_status rune_agent_metrics_listen(rune_agent *a, uint16_t port, rune_error *err);
uint16_t rune_agent_metrics_port(const rune_agent *a);

/* One round: wait for requests at most max_wait_ms (less when a rune call is due), serve them,
 * run the rune when its call is due. Returns RUNE_OK; errors of single requests or calls are
 * logged, not returned. */
rune_status rune_agent_poll(rune_agent *a, int max_wait_ms, rune_error *err);
/* Poll until *stop becomes nonzero (a signal handler may set it). */
rune_status rune_agent_run(rune_agent *a, volatile sig_atomic_t *stop, rune_error *err);

/* Check and install a rune as the upload's last chunk does (same checks, same refusals, with the
 * reason in err); for tests and local installs. bytes stay the caller's. */
rune_status rune_agent_install(rune_agent *a, const uint8_t *bytes, size_t len, rune_error *err);
/* With rune_thread: stop the rune thread (after the call it is in); the agent then makes the calls
 * in rune_agent_poll again. For tests and shutdown; rune_agent_destroy does it too. */
void rune_agent_stop_thread(rune_agent *a);

/* What the agent is doing now. Like every call here, from the thread that polls the agent (or
 * while nobody polls it); with rune_thread also from any other thread. */
typedef struct rune_agent_info {
    bool has_active, has_previous, confirmed, previous_bad, stopped;
    char state[16]; /* as in the status answer; "none" without a rune */
    char active_name[64], active_version[32], active_hash[65];
    char previous_name[64], previous_hash[65];
    uint64_t period_ms; /* between calls: from the profile's rate or the rune's capabilities */
    uint64_t calls, good_calls, failures, restarts, rollbacks;
    uint64_t calls_started; /* calls begun: one more than calls while a call runs */
} rune_agent_info;
void rune_agent_get_info(rune_agent *a, rune_agent_info *out);

rune_saga *rune_agent_saga(rune_agent *a);
rune_smp_server *rune_agent_server(rune_agent *a);

#ifdef __cplusplus
}
#endif
#endif

/*
 * runicos.h - the RunicOS host: runs a rune on this machine with least privilege.
 *
 *   rune_host_open(bytes, len, &config, &host, &err)
 *       checks the signature against config.trust when a trust policy is given (sign.h: refused
 *       with RUNE_E_DENIED - unsigned under require-signature, untrusted or revoked key - or
 *       RUNE_E_VERIFY - modified after signing, bad signature - or RUNE_E_MALFORMED, the message
 *       saying why, before anything else is read), opens the container (manifest, model and resource digests checked), checks the manifest
 *       against the device (every capability the rune declares must be offered by a provider and
 *       allowed by the policy: otherwise refused before any guest code runs, naming what is missing),
 *       instantiates the module on the chosen engine with the runic, WASI-NN and minimal WASI imports,
 *       and calls _initialize (if exported) then _manifest.
 *   rune_host_call(host, &err)       one run of the pipeline (_call); repeat as often as wanted
 *   rune_host_free(host)
 *
 * Least privilege: the guest gets a capability handle only for a kind its manifest declared and the
 * policy allows, with the parameters it declared; any other capability_open is refused with
 * RUNE_ABI_E_DENIED and logged ("denied: capability IMAGE is not declared in the manifest"). The
 * counts of denials are kept (rune_host_stats). Guest pointers are bounds-checked on every import.
 *
 * Capabilities come from providers (struct of function pointers): file-fed SOUND (WAV), IMAGE
 * (PNG/JPEG/BMP/PGM, resized and converted to the declared pixel format), ACCEL (CSV), RAW (file),
 * and RAND (seedable). A device profile can add its own (ALSA, V4L2).
 *
 * Outputs: SERIAL writes each JSON document the rune emits as one line to config.serial_out; TENSOR
 * records go to config.tensor_out (binary, as the rune wrote them) or, when NULL, as JSON lines to
 * serial_out; FILE appends to a file under config.output_dir (paths with ".." or a leading '/' are
 * refused). Guest logs go to config.log_out with the rune's name and level.
 */
#ifndef RUNE_RUNICOS_H
#define RUNE_RUNICOS_H

#include <stdint.h>
#include <stdio.h>

#include "rune/sign.h"
#include "rune/status.h"
#include "rune/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- capability providers --------------------------------------------------------------------- */

/* The parameters a rune opened a capability with ("key=value" lines, see rune/abi.h), parsed. */
#define RUNE_CAP_MAX_PARAMS 16
typedef struct rune_cap_params {
    int kind; /* RUNE_CAP_* */
    size_t n;
    struct {
        char key[32];
        char value[96];
    } kv[RUNE_CAP_MAX_PARAMS];
} rune_cap_params;

/* The value of key, or NULL. */
const char *rune_cap_param(const rune_cap_params *p, const char *key);
/* Parse a params byte string; RUNE_E_INVALID with a message naming the bad line. */
rune_status rune_cap_params_parse(int kind, const char *text, size_t len, rune_cap_params *out,
                                  rune_error *err);

typedef struct rune_cap_provider {
    int kind;           /* RUNE_CAP_* this provider serves */
    const char *source; /* what feeds it, for messages ("yes_1000ms.wav", "seed 42") */
    /* Open one handle's state from the rune's params; errors name the parameter. */
    rune_status (*open)(const struct rune_cap_provider *p, const rune_cap_params *params,
                        void **state, rune_error *err);
    /* Fill buf with one reading; returns bytes written or a negative RUNE_ABI_E_* code (err set). */
    int32_t (*read)(void *state, uint8_t *buf, size_t len, rune_error *err);
    void (*close)(void *state);
    void (*free)(struct rune_cap_provider *p); /* releases the provider itself; may be NULL */
    void *ud;
} rune_cap_provider;

/* File-fed and synthetic providers. `loop`: when the file is exhausted start again from its
 * beginning instead of answering RUNE_ABI_E_END. Each returns a rune_malloc'd provider. */
rune_status rune_cap_sound_file(const char *wav_path, int loop, rune_cap_provider **out,
                                rune_error *err);
rune_status rune_cap_image_file(const char *path, rune_cap_provider **out, rune_error *err);
rune_status rune_cap_accel_csv(const char *path, int loop, rune_cap_provider **out,
                               rune_error *err);
rune_status rune_cap_raw_file(const char *path, int loop, rune_cap_provider **out,
                              rune_error *err);
rune_status rune_cap_random(uint64_t seed, rune_cap_provider **out, rune_error *err);
/* Real devices (opened when the rune opens the capability; a missing device is an error then):
 * an ALSA capture device ("default", "hw:1,0") and a V4L2 camera ("/dev/video0"). */
rune_status rune_cap_sound_alsa(const char *device, rune_cap_provider **out, rune_error *err);
rune_status rune_cap_image_v4l2(const char *device, rune_cap_provider **out, rune_error *err);
void rune_cap_provider_free(rune_cap_provider *p);

/* ---- the host --------------------------------------------------------------------------------- */

typedef struct rune_host_config {
    rune_wasm_engine_kind engine;
    rune_wasm_engine *shared_engine; /* optional: use this engine (not freed) instead of a new one */
    rune_wasm_limits limits;         /* zeros = defaults; max_memory_pages also capped by manifest */
    uint64_t fuel_per_call;          /* 0 = unlimited */
    rune_cap_provider **providers;   /* borrowed; at most one per kind is used (the first) */
    size_t nproviders;
    unsigned allowed_caps; /* policy: bit (1 << RUNE_CAP_*) per kind allowed; 0 = every kind */
    FILE *serial_out;      /* NULL = stdout */
    FILE *log_out;         /* NULL = stderr */
    FILE *tensor_out;      /* NULL = TENSOR records as JSON lines on serial_out */
    const char *output_dir; /* FILE outputs; NULL = current directory */
    int log_level;          /* guest logs at or below this level are shown; 0 = RUNE_LOG_INFO */
    int quiet;              /* suppress host notices (denials are still counted) */
    const rune_trust_policy *trust; /* borrowed; NULL = no signature checks */
} rune_host_config;

typedef struct rune_host_stats {
    uint64_t calls, traps, denials, capability_reads, outputs_written, inferences;
    uint64_t nn_arena_bytes; /* sum over loaded models: tensors computed at run time */
    uint64_t nn_model_bytes; /* sum over loaded models: what load kept beside the rune's bytes
                                (tables, and weights it had to copy to align them) */
} rune_host_stats;

typedef struct rune_host rune_host;

/* What the host does with one write to a SERIAL output: a JSON document is written as one line; a
 * tensor record (rune/abi.h layout) is rendered as {"name":NAME,"type":"f32","shape":[..],"data":[..]}
 * so runes need no number formatting of their own. Returns 0. */
int rune_host_render_serial(FILE *f, const char *name, const void *data, size_t len);

/* bytes must outlive the host (models are used in place). */
rune_status rune_host_open(const uint8_t *bytes, size_t len, const rune_host_config *cfg,
                           rune_host **out, rune_error *err);
rune_status rune_host_call(rune_host *host, rune_error *err);
void rune_host_free(rune_host *host);
const rune_host_stats *rune_host_stats_of(const rune_host *host);
/* The rune's name from its manifest. */
const char *rune_host_rune_name(const rune_host *host);
rune_wasm_instance *rune_host_instance(rune_host *host);

#ifdef __cplusplus
}
#endif
#endif

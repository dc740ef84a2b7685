/*
 * host.c - life cycle of a rune on the RunicOS host: open (verify, check against the device,
 * instantiate, _manifest), call (_call), free. See rune/runicos.h for the contract.
 *
 * The checks before any guest code runs, in order, each a clear refusal:
 *   0. with a trust policy, the signature (rune_sign_verify) over the bytes as given;
 *   1. the container parses and every model and resource matches its digest (rune_container_open);
 *   2. every capability the manifest declares is a known kind, allowed by the policy and served by a
 *      provider on this device; every declared output is a known kind;
 *   3. the module validates and links against exactly the imports the host offers (runic,
 *      wasi_ephemeral_nn, the WASI subset): a rune importing anything else is refused by name.
 * A trap in _manifest or _call is RUNE_E_TRAP with the engine's message; the host stays usable and
 * the instance can be called again (the supervisor decides whether to restart or roll back).
 */
#include "host_int.h"

#include "rune/abi.h"
#include "rune/alloc.h"
#include "rune/wasi.h"

#include <string.h>

static rune_status check_against_device(rune_host *h, rune_error *err)
{
    const rune_manifest *m = h->container->manifest;
    for (size_t i = 0; i < m->ncapabilities; i++) {
        const rune_manifest_stage *s = &m->capabilities[i];
        int kind = s->kind ? rune_abi_capability_parse(s->kind, strlen(s->kind)) : -1;
        if (kind < 0)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "capability '%s' has kind '%s', which this host does not know", s->name,
                            s->kind ? s->kind : "(none)");
        if (h->cfg.allowed_caps && !(h->cfg.allowed_caps & (1u << kind)))
            return RUNE_ERR(err, RUNE_E_DENIED,
                            "capability '%s' (%s) is not allowed by the device policy", s->name,
                            s->kind);
        int served = 0;
        for (size_t k = 0; k < h->cfg.nproviders; k++)
            if (h->cfg.providers[k] && h->cfg.providers[k]->kind == kind) served = 1;
        if (!served)
            return RUNE_ERR(err, RUNE_E_NOT_FOUND,
                            "capability '%s' needs %s input, which this device does not provide%s",
                            s->name, s->kind,
                            kind == RUNE_CAP_SOUND   ? " (give --sound FILE.wav)"
                            : kind == RUNE_CAP_IMAGE ? " (give --image FILE)"
                            : kind == RUNE_CAP_ACCEL ? " (give --accel FILE.csv)"
                            : kind == RUNE_CAP_RAND  ? " (give --random SEED)"
                                                     : " (give --raw FILE)");
    }
    for (size_t i = 0; i < m->noutputs; i++) {
        const char *k = m->outputs[i].kind;
        if (!k || rune_abi_output_parse(k, strlen(k)) < 0)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED, "output '%s' has unknown kind '%s'",
                            m->outputs[i].name, k ? k : "(none)");
    }
    return RUNE_OK;
}

static void wasi_sink(void *user, int fd, const uint8_t *data, size_t len)
{
    rune_host *h = user;
    FILE *f = h->cfg.log_out ? h->cfg.log_out : stderr;
    (void)fd;
    fwrite(data, 1, len, f);
}

/* What a failed () -> i32 call becomes: the engine's error prefixed with the rune and the export,
 * or the rune's own negative error code. Out of line: the per-call path never comes here. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static rune_status
call_failed(rune_host *h, rune_status st, int32_t rc, const char *what, rune_error *err)
{
    if (st != RUNE_OK) {
        if (st == RUNE_E_TRAP || st == RUNE_E_LIMIT) h->stats.traps++;
        return rune_error_prefix(err, "%s: %s", h->name, what);
    }
    return RUNE_ERR(err, RUNE_E_IO, "%s: %s returned %d (%s)", h->name, what, rc,
                    rune_abi_status_name(rc));
}

/* Call an exported () -> i32 function whose signature was checked at open; a negative result is
 * the rune's own error code. The result is read only after a call that returned RUNE_OK (which
 * wrote it). */
static inline rune_status call_i32(rune_host *h, const rune_wasm_func *fn, const char *what,
                                   rune_error *err)
{
    rune_wasm_val res[1];
    if (h->cfg.fuel_per_call) rune_wasm_set_fuel(h->inst, h->cfg.fuel_per_call);
    rune_status st = rune_wasm_call_prepared(h->inst, fn, NULL, res, err);
    if (st == RUNE_OK && (int32_t)res[0].i32 >= 0) return RUNE_OK;
    return call_failed(h, st, st == RUNE_OK ? (int32_t)res[0].i32 : 0, what, err);
}

rune_status rune_host_open(const uint8_t *bytes, size_t len, const rune_host_config *cfg,
                           rune_host **out, rune_error *err)
{
    if (!bytes || !cfg || !out) return RUNE_ERR(err, RUNE_E_ARG, "rune_host_open: NULL argument");
    *out = NULL;
    rune_host *h = rune_calloc(1, sizeof *h);
    if (!h) return RUNE_ERR(err, RUNE_E_NOMEM, "out of memory");
    h->cfg = *cfg;
    rune_status st = RUNE_OK;
    if (cfg->trust) {
        rune_verify_result vr;
        st = rune_sign_verify(bytes, len, cfg->trust, &vr, err);
        if (st != RUNE_OK) {
            rune_error_prefix(err, "refused by the trust policy");
            goto fail;
        }
    }
    st = rune_container_open(bytes, len, &h->container, err);
    if (st != RUNE_OK) goto fail;
    h->name = h->container->manifest->name;
    st = check_against_device(h, err);
    if (st != RUNE_OK) goto fail;

    if (cfg->shared_engine) {
        h->engine = cfg->shared_engine;
    } else {
        st = rune_wasm_engine_new(cfg->engine, NULL, &h->engine, err);
        if (st != RUNE_OK) goto fail;
        h->own_engine = 1;
    }
    st = rune_wasm_module_load(h->engine, bytes, len, &h->module, err);
    if (st != RUNE_OK) goto fail;
    st = rune_wasm_linker_new(&h->linker, err);
    if (st == RUNE_OK) st = rh_define_runic(h, h->linker, err);
    if (st == RUNE_OK) st = rh_define_nn(h, h->linker, err);
    if (st == RUNE_OK) {
        /* The guest's stdout and stderr (printf) go to the log stream, never to the serial line. */
        h->wasi_argv[0] = h->name;
        rune_wasi_config wc = {.argc = 1, .argv = h->wasi_argv, .sink = wasi_sink, .sink_user = h};
        st = rune_wasi_new(&wc, &h->wasi, err);
        if (st == RUNE_OK) st = rune_wasi_define(h->wasi, h->linker, err);
    }
    if (st != RUNE_OK) goto fail;

    rune_wasm_limits lim = cfg->limits;
    const rune_manifest *m = h->container->manifest;
    if (m->max_pages && (!lim.max_memory_pages || m->max_pages < lim.max_memory_pages))
        lim.max_memory_pages = m->max_pages;
    st = rune_wasm_instantiate(h->module, h->linker, &lim, &h->inst, err);
    if (st != RUNE_OK) goto fail;
    rune_wasm_instance_set_user(h->inst, h);
    if (rune_wasm_memory_ref(h->inst, &h->mem, NULL) == RUNE_OK) h->mem_inst = h->inst;

    rune_wasm_func fn;
    rune_error e2;
    if (rune_wasm_find_func(h->inst, RUNE_ABI_EXPORT_INITIALIZE, &fn, &e2) == RUNE_OK) {
        if (strcmp(fn.sig, ":") != 0) {
            st = RUNE_ERR(err, RUNE_E_LINK, "export _initialize has signature %s, expected ()",
                          fn.sig);
            goto fail;
        }
        if (h->cfg.fuel_per_call) rune_wasm_set_fuel(h->inst, h->cfg.fuel_per_call);
        st = rune_wasm_call_func(h->inst, &fn, NULL, 0, NULL, 0, err);
        if (st != RUNE_OK) goto fail;
    }
    rune_wasm_func manifest_fn;
    st = rune_wasm_find_func(h->inst, RUNE_ABI_EXPORT_MANIFEST, &manifest_fn, err);
    if (st == RUNE_OK) st = rune_wasm_find_func(h->inst, RUNE_ABI_EXPORT_CALL, &h->call_fn, err);
    if (st != RUNE_OK) {
        rune_error_prefix(err, "not a rune");
        goto fail;
    }
    if (strcmp(manifest_fn.sig, ":i") != 0 || strcmp(h->call_fn.sig, ":i") != 0) {
        st = RUNE_ERR(err, RUNE_E_LINK, "_manifest and _call must be () -> i32 (got %s and %s)",
                      manifest_fn.sig, h->call_fn.sig);
        goto fail;
    }
    st = call_i32(h, &manifest_fn, "_manifest", err);
    if (st != RUNE_OK) goto fail;
    *out = h;
    return RUNE_OK;
fail:
    rune_host_free(h);
    return st;
}

rune_status rune_host_call(rune_host *h, rune_error *err)
{
    if (!h) return RUNE_ERR(err, RUNE_E_ARG, "rune_host_call: NULL host");
    h->stats.calls++;
    /* call_i32 written out: gcc then keeps one register fewer across the call (the per-inference
     * path) */
    rune_wasm_val res[1];
    if (h->cfg.fuel_per_call) rune_wasm_set_fuel(h->inst, h->cfg.fuel_per_call);
    rune_status st = rune_wasm_call_prepared(h->inst, &h->call_fn, NULL, res, err);
    if (st == RUNE_OK && (int32_t)res[0].i32 >= 0) return RUNE_OK;
    return call_failed(h, st, st == RUNE_OK ? (int32_t)res[0].i32 : 0, "_call", err);
}

void rune_host_free(rune_host *h)
{
    if (!h) return;
    rh_close_handles(h);
    rune_wasm_instance_free(h->inst);
    rune_wasm_linker_free(h->linker);
    rune_wasi_free(h->wasi);
    rune_wasm_module_free(h->module);
    if (h->own_engine) rune_wasm_engine_free(h->engine);
    rune_container_free(h->container);
    rune_free(h);
}

const rune_host_stats *rune_host_stats_of(const rune_host *h) { return h ? &h->stats : NULL; }
const char *rune_host_rune_name(const rune_host *h) { return h ? h->name : NULL; }
rune_wasm_instance *rune_host_instance(rune_host *h) { return h ? h->inst : NULL; }

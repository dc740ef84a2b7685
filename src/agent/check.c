/*
 * check.c - what the agent checks before a rune may replace anything: the container, the signature
 * policy, the capabilities against what the device offers and allows, and a trial instantiation.
 *
 * Workload: once per upload, on the last chunk; the trial runs the rune's _manifest on the
 * interpreter (no AOT compile on the upload path), so a rune that cannot start is refused while the
 * old one keeps running.
 */
#include <stdio.h>
#include <string.h>

#include "agent_int.h"
#include "rune/abi.h"
#include "rune/container.h"

void agent_host_config(rune_agent *a, rune_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->engine = a->prof.engine;
    if (a->aot && a->prof.engine == RUNE_WASM_AOT) cfg->shared_engine = a->aot;
    cfg->limits.max_memory_pages = a->prof.memory_pages;
    cfg->fuel_per_call = a->prof.fuel_per_call;
    cfg->limits.fuel = a->prof.fuel_per_call; /* also bounds the module's start function */
    cfg->providers = a->providers;
    cfg->nproviders = a->nproviders;
    cfg->allowed_caps = a->prof.allowed_caps;
    cfg->log_out = a->log_file;
    cfg->serial_out = a->serial_file;
    cfg->output_dir = a->prof.store;
}

/* "SOUND, RAND" for the kinds in mask, "nothing" when empty. */
static void kinds_text(unsigned mask, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 1; k < RUNE_CAP_COUNT; k++) {
        if (!(mask & (1u << k))) continue;
        char up[16];
        const char *name = rune_abi_capability_name(k);
        size_t i = 0;
        for (; name[i] && i < sizeof up - 1; i++)
            up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
        up[i] = '\0';
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", up);
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
    if (!n) snprintf(out, cap, "nothing");
}

static rune_status check_caps(rune_agent *a, const rune_manifest *m, int *rc, rune_error *err)
{
    unsigned allowed = a->prof.allowed_caps ? a->prof.allowed_caps : ~0u;
    unsigned usable = a->offered & allowed;
    for (size_t i = 0; i < m->ncapabilities; i++) {
        const rune_manifest_stage *s = &m->capabilities[i];
        const char *kind = s->kind ? s->kind : "";
        int k = rune_abi_capability_parse(kind, strlen(kind));
        char offers[96];
        kinds_text(usable, offers, sizeof offers);
        *rc = RUNE_SMP_ERR_ACCESSDENIED;
        if (k < 0)
            return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                            "rune needs %s, which this device does not know; it offers %s", kind,
                            offers);
        if ((a->offered & (1u << k)) && !(allowed & (1u << k)))
            return RUNE_ERR(err, RUNE_E_DENIED,
                            "rune needs %s, which this device's policy does not allow", kind);
        if (!(usable & (1u << k)))
            return RUNE_ERR(err, RUNE_E_DENIED, "rune needs %s, this device offers %s", kind,
                            offers);
    }
    return RUNE_OK;
}

rune_status agent_check_rune(rune_agent *a, const uint8_t *bytes, size_t len, agent_slot *slot,
                             int *rc, rune_error *err)
{
    agent_sup_quiesce(a); /* the trial below uses the providers the running rune uses */
    rune_container *c = NULL;
    rune_host *h = NULL;
    rune_status st = rune_container_open(bytes, len, &c, err);
    if (st != RUNE_OK) {
        *rc = RUNE_SMP_ERR_INVAL;
        rune_error_prefix(err, "rune rejected");
        goto done;
    }
    snprintf(slot->name, sizeof slot->name, "%s", c->manifest->name);
    snprintf(slot->version, sizeof slot->version, "%s", c->manifest->version);

    rune_verify_result vr;
    st = rune_sign_verify(bytes, len, &a->trust, &vr, err);
    if (st != RUNE_OK) {
        *rc = RUNE_SMP_ERR_ACCESSDENIED;
        rune_error_prefix(err, "signature");
        goto done;
    }
    st = check_caps(a, c->manifest, rc, err);
    if (st != RUNE_OK) goto done;

    rune_host_config cfg;
    agent_host_config(a, &cfg);
    cfg.engine = RUNE_WASM_INTERP; /* a trial: no AOT compile on the upload path */
    cfg.shared_engine = NULL;
    cfg.quiet = 1;
    st = rune_host_open(bytes, len, &cfg, &h, err);
    if (st != RUNE_OK) {
        *rc = st == RUNE_E_DENIED ? RUNE_SMP_ERR_ACCESSDENIED : RUNE_SMP_ERR_INVAL;
        rune_error_prefix(err, "rune rejected");
    }
done:
    rune_host_free(h);
    rune_container_free(c);
    return st;
}

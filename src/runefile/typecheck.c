/*
 * typecheck.c - the Runefile type checker: the type of every port, and every edge checked.
 *
 * Stages are visited in topological order. A capability's output type follows from its parameters
 * (rules in rune/runefile.h), a model's from the resolver (the model file), a proc block's from the
 * resolver given the types flowing in (or from its declared types when the resolver does not know
 * it); declared types must agree with what is found. Then each edge into the stage is checked with
 * rune_rf_type_compatible, and a mismatch names both ends with their locations.
 * Workload: tens of stages, each visited once; edges scanned per stage (O(stages * edges)).
 */
#include "runefile_int.h"

#include <stdio.h>
#include <string.h>

#define TSTR 64

typedef struct checker {
    rune_runefile *g;
    const rune_rf_resolver *res;
    rune_error *err;
} checker;

static const char *kind_word(const rune_rf_stage *s)
{
    switch (s->kind) {
    case RUNE_RF_CAPABILITY: return "capability";
    case RUNE_RF_PROC_BLOCK: return "proc block";
    case RUNE_RF_MODEL: return "model";
    case RUNE_RF_OUT: return "output";
    }
    return "stage";
}

/* "capability 'audio' (Runefile:2:1): " */
static rune_status stage_err(checker *c, const rune_rf_stage *s, rune_status st, const char *fmt,
                             ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static rune_status stage_err(checker *c, const rune_rf_stage *s, rune_status st, const char *fmt,
                             ...)
{
    char msg[RUNE_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return RUNE_ERR(c->err, st, "%s '%s' (%s:%u:%u): %s", kind_word(s), s->name, s->loc.file,
                    (unsigned)s->loc.line, (unsigned)s->loc.col, msg);
}

/* An optional whole-number argument: 1 if present (in *v), 0 if absent; errors keep their status.
 */
static rune_status opt_u64(checker *c, const rune_rf_stage *s, const char *key, uint64_t *v,
                           int *present)
{
    *present = 0;
    rune_error e;
    rune_error_clear(&e);
    rune_status st = rune_rf_stage_arg_u64(s, key, v, &e);
    if (st == RUNE_E_NOT_FOUND) return RUNE_OK;
    if (st) {
        if (c->err) *c->err = e;
        return st;
    }
    if (*v == 0 || *v >= (UINT64_C(1) << 31)) {
        const rune_rf_arg *a = rune_rf_stage_arg(s, key);
        return rf_err(c->err, RUNE_E_INVALID, a->loc,
                      "argument '%s' of '%s' must be from 1 to 2^31-1", key, s->name);
    }
    *present = 1;
    return RUNE_OK;
}

static rune_rf_type shape1(rune_rf_elem e, uint64_t n)
{
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    t.elem = e;
    t.rank = 1;
    t.dims[0] = (uint32_t)n;
    return t;
}

static rune_status cap_sound(checker *c, const rune_rf_stage *s, rune_rf_type *t, int *have)
{
    uint64_t hz = 0, samples = 0, secs = 1, ms = 0, size = 0;
    int has_hz, has_samples, has_secs, has_ms, has_size;
    rune_status st;
    if ((st = opt_u64(c, s, "hz", &hz, &has_hz)) ||
        (st = opt_u64(c, s, "samples", &samples, &has_samples)) ||
        (st = opt_u64(c, s, "seconds", &secs, &has_secs)) ||
        (st = opt_u64(c, s, "ms", &ms, &has_ms)) ||
        (st = opt_u64(c, s, "sample-size", &size, &has_size)))
        return st;
    if (!has_secs) secs = 1;
    uint64_t n = 0;
    if (has_samples) {
        n = samples;
    } else if (has_hz) {
        if (has_ms && has_secs)
            return stage_err(c, s, RUNE_E_INVALID, "give seconds or ms, not both");
        if (has_ms && (hz * ms) % 1000 != 0)
            return stage_err(c, s, RUNE_E_INVALID,
                             "hz * ms / 1000 is not a whole number of samples");
        n = has_ms ? hz * ms / 1000 : hz * secs;
        if (n == 0 || n >= (UINT64_C(1) << 31))
            return stage_err(c, s, RUNE_E_INVALID, "the capture holds no or too many samples");
    } else {
        return RUNE_OK; /* no parameters: the declared type, if any, stands */
    }
    if (has_size && size < 2 * n)
        return stage_err(c, s, RUNE_E_INVALID,
                         "sample-size %llu bytes cannot hold %llu 16-bit samples",
                         (unsigned long long)size, (unsigned long long)n);
    *t = shape1(RUNE_RF_I16, n);
    *have = 1;
    return RUNE_OK;
}

static rune_status cap_image(checker *c, const rune_rf_stage *s, rune_rf_type *t, int *have)
{
    static const char *const formats[] = {"rgb8", "bgr8", "grayscale", "gray8"};
    static const uint32_t channels[] = {3, 3, 1, 1};
    uint64_t w = 0, h = 0;
    int has_w, has_h;
    rune_status st;
    if ((st = opt_u64(c, s, "width", &w, &has_w)) || (st = opt_u64(c, s, "height", &h, &has_h)))
        return st;
    if (!has_w && !has_h) return RUNE_OK;
    if (!has_w || !has_h) return stage_err(c, s, RUNE_E_INVALID, "give both width and height");
    uint32_t ch = 3;
    const rune_rf_arg *pf = rune_rf_stage_arg(s, "pixel-format");
    if (pf) {
        size_t i = 0;
        const char *v = pf->is_list ? "" : pf->values[0];
        while (i < 4 && strcmp(v, formats[i]) != 0)
            i++;
        if (i == 4) {
            char hint[64];
            return rf_err(c->err, RUNE_E_INVALID, pf->loc,
                          "pixel-format of '%s' must be rgb8, bgr8 or grayscale; got '%s'%s",
                          s->name, v, rf_hint(hint, sizeof hint, v, strlen(v), formats, 4));
        }
        ch = channels[i];
    }
    memset(t, 0, sizeof *t);
    t->elem = RUNE_RF_U8;
    t->rank = 4;
    t->dims[0] = 1;
    t->dims[1] = (uint32_t)h;
    t->dims[2] = (uint32_t)w;
    t->dims[3] = ch;
    *have = 1;
    return RUNE_OK;
}

static rune_status capability_types(checker *c, rune_rf_stage *s)
{
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    int have = 0;
    rune_status st = RUNE_OK;
    uint64_t n = 0;
    int has_n = 0;
    if (s->n_decl_out > 1) return stage_err(c, s, RUNE_E_INVALID, "a capability has one output");
    const rune_rf_type *decl = s->n_decl_out ? &s->decl_out[0] : NULL;
    switch ((rune_rf_cap_kind)s->subkind) {
    case RUNE_RF_CAP_SOUND: st = cap_sound(c, s, &t, &have); break;
    case RUNE_RF_CAP_IMAGE: st = cap_image(c, s, &t, &have); break;
    case RUNE_RF_CAP_ACCEL:
        st = opt_u64(c, s, "samples", &n, &has_n);
        if (!st && has_n) {
            t = shape1(RUNE_RF_F32, n);
            t.rank = 2;
            t.dims[1] = 3;
            have = 1;
        }
        break;
    case RUNE_RF_CAP_RAND:
        st = opt_u64(c, s, "count", &n, &has_n);
        if (!st && !has_n) st = opt_u64(c, s, "n", &n, &has_n);
        if (!st && has_n) {
            rune_rf_elem e = decl && decl->elem >= RUNE_RF_U8 && decl->elem <= RUNE_RF_F64
                                 ? decl->elem
                                 : RUNE_RF_U8;
            t = shape1(e, n);
            have = 1;
        }
        break;
    case RUNE_RF_CAP_RAW: break;
    }
    if (st) return st;
    char a[TSTR], b[TSTR];
    if (have && decl && !rune_rf_type_compatible(decl, &t))
        return stage_err(c, s, RUNE_E_INVALID, "declared %s but its parameters give %s",
                         rune_rf_type_str(decl, a, sizeof a), rune_rf_type_str(&t, b, sizeof b));
    if (!have) {
        if (!decl)
            return stage_err(c, s, RUNE_E_INVALID,
                             "cannot tell its output type: give its parameters (%s) or declare "
                             "it, e.g. CAPABILITY<I16[16000]>",
                             s->subkind == RUNE_RF_CAP_SOUND   ? "hz or samples"
                             : s->subkind == RUNE_RF_CAP_IMAGE ? "width and height"
                             : s->subkind == RUNE_RF_CAP_ACCEL ? "samples"
                             : s->subkind == RUNE_RF_CAP_RAND  ? "count"
                                                               : "RAW has none");
        t = *decl;
    }
    s->out[0] = t;
    s->n_out = 1;
    return RUNE_OK;
}

/* Declared types (what the Runefile says) against found ones (model file, proc block catalog). */
static rune_status check_decl(checker *c, const rune_rf_stage *s, const char *dir,
                              const rune_rf_type *decl, size_t n_decl, const rune_rf_type *found,
                              size_t n_found, const char *source)
{
    if (n_decl == 0) return RUNE_OK;
    if (n_decl != n_found)
        return stage_err(c, s, RUNE_E_INVALID, "declares %zu %s%s but %s has %zu", n_decl, dir,
                         n_decl == 1 ? "" : "s", source, n_found);
    for (size_t i = 0; i < n_decl; i++) {
        char a[TSTR], b[TSTR];
        if (!rune_rf_type_compatible(&decl[i], &found[i]))
            return stage_err(c, s, RUNE_E_INVALID, "%s %zu is declared %s but %s says %s", dir, i,
                             rune_rf_type_str(&decl[i], a, sizeof a), source,
                             rune_rf_type_str(&found[i], b, sizeof b));
    }
    return RUNE_OK;
}

static rune_status sig_sane(checker *c, const rune_rf_stage *s, const rune_rf_sig *sig)
{
    if (sig->n_in > RUNE_RF_MAX_PORTS || sig->n_out > RUNE_RF_MAX_PORTS)
        return stage_err(c, s, RUNE_E_INTERNAL, "the resolver gave more than %d ports",
                         RUNE_RF_MAX_PORTS);
    return RUNE_OK;
}

/* Calls a resolver callback; its errors get the stage as prefix. */
static rune_status resolver_failed(checker *c, const rune_rf_stage *s, rune_status st)
{
    if (c->err) {
        char msg[RUNE_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", c->err->msg);
        return stage_err(c, s, st, "%s", msg);
    }
    return st;
}

static rune_status model_types(checker *c, rune_rf_stage *s, const rune_rf_type *in, size_t n_in,
                               rune_rf_sig *sig)
{
    rune_status st;
    if (c->res && c->res->model) {
        memset(sig, 0, sizeof *sig);
        if ((st = c->res->model(c->res->ud, s, sig, c->err))) return resolver_failed(c, s, st);
        if ((st = sig_sane(c, s, sig))) return st;
        if ((st = check_decl(c, s, "input", s->decl_in, s->n_decl_in, sig->in, sig->n_in,
                             "the model file")) ||
            (st = check_decl(c, s, "output", s->decl_out, s->n_decl_out, sig->out, sig->n_out,
                             "the model file")))
            return st;
        return RUNE_OK;
    }
    /* No model reader: the declaration is all there is; undeclared inputs take what comes. */
    if (!s->n_decl_out)
        return stage_err(c, s, RUNE_E_INVALID,
                         "cannot tell its tensor types: no model reader and no declared output "
                         "types (MODEL<IN,OUT>)");
    if (s->n_decl_in) {
        sig->n_in = s->n_decl_in;
        memcpy(sig->in, s->decl_in, sizeof sig->in);
    } else {
        sig->n_in = n_in;
        memcpy(sig->in, in, n_in * sizeof *in);
    }
    sig->n_out = s->n_decl_out;
    memcpy(sig->out, s->decl_out, sizeof sig->out);
    return RUNE_OK;
}

static rune_status proc_block_types(checker *c, rune_rf_stage *s, const rune_rf_type *in,
                                    size_t n_in, rune_rf_sig *sig)
{
    rune_status st = RUNE_E_NOT_FOUND;
    rune_error e;
    rune_error_clear(&e);
    if (c->res && c->res->proc_block) {
        memset(sig, 0, sizeof *sig);
        st = c->res->proc_block(c->res->ud, s, in, n_in, sig, &e);
        if (st && st != RUNE_E_NOT_FOUND) {
            if (c->err) *c->err = e;
            return resolver_failed(c, s, st);
        }
    }
    if (st == RUNE_OK) {
        if ((st = sig_sane(c, s, sig))) return st;
        if ((st = check_decl(c, s, "input", s->decl_in, s->n_decl_in, sig->in, sig->n_in,
                             "the proc block")) ||
            (st = check_decl(c, s, "output", s->decl_out, s->n_decl_out, sig->out, sig->n_out,
                             "the proc block")))
            return st;
        return RUNE_OK;
    }
    /* Not known to the resolver: the declaration is all there is. */
    if (!s->n_decl_out)
        return stage_err(c, s, RUNE_E_INVALID,
                         "unknown proc block '%s' and no declared output types "
                         "(PROC_BLOCK<IN,OUT>)",
                         s->source);
    memset(sig, 0, sizeof *sig);
    if (s->n_decl_in) {
        sig->n_in = s->n_decl_in;
        memcpy(sig->in, s->decl_in, sizeof sig->in);
    } else {
        sig->n_in = n_in;
        memcpy(sig->in, in, n_in * sizeof *in);
    }
    sig->n_out = s->n_decl_out;
    memcpy(sig->out, s->decl_out, sizeof sig->out);
    return RUNE_OK;
}

/* Gathers what flows into s, port by port, refusing gaps and missing producer ports. */
static rune_status gather_inputs(checker *c, size_t si, rune_rf_type *in, size_t *n_in,
                                 const rune_rf_edge **by_port)
{
    const rune_runefile *g = c->g;
    const rune_rf_stage *s = &g->stages[si];
    size_t n = 0;
    memset(by_port, 0, RUNE_RF_MAX_PORTS * sizeof *by_port);
    for (size_t i = 0; i < g->n_edges; i++) {
        const rune_rf_edge *e = &g->edges[i];
        if (e->to != si) continue;
        const rune_rf_stage *u = &g->stages[e->from];
        if (e->from_port >= u->n_out)
            return rf_err(c->err, RUNE_E_INVALID, e->loc,
                          "%s '%s' (%s:%u:%u) has no output %zu (it has %zu)", kind_word(u),
                          u->name, u->loc.file, (unsigned)u->loc.line, (unsigned)u->loc.col,
                          e->from_port, u->n_out);
        by_port[e->to_port] = e;
        in[e->to_port] = u->out[e->from_port];
        if (e->to_port + 1 > n) n = e->to_port + 1;
    }
    for (size_t p = 0; p < n; p++)
        if (!by_port[p]) return stage_err(c, s, RUNE_E_INVALID, "input %zu is not connected", p);
    *n_in = n;
    return RUNE_OK;
}

static rune_status check_stage(checker *c, size_t si)
{
    rune_rf_stage *s = &c->g->stages[si];
    rune_rf_type in[RUNE_RF_MAX_PORTS];
    const rune_rf_edge *by_port[RUNE_RF_MAX_PORTS];
    size_t n_in = 0;
    memset(in, 0, sizeof in);
    s->n_in = s->n_out = 0;
    rune_status st = gather_inputs(c, si, in, &n_in, by_port);
    if (st) return st;
    rune_rf_sig sig;
    memset(&sig, 0, sizeof sig);
    switch (s->kind) {
    case RUNE_RF_CAPABILITY: return capability_types(c, s);
    case RUNE_RF_MODEL: st = model_types(c, s, in, n_in, &sig); break;
    case RUNE_RF_PROC_BLOCK: st = proc_block_types(c, s, in, n_in, &sig); break;
    case RUNE_RF_OUT:
        if (n_in == 0) return stage_err(c, s, RUNE_E_INVALID, "nothing feeds it");
        sig.n_in = n_in;
        memcpy(sig.in, in, sizeof sig.in);
        break;
    }
    if (st) return st;
    if (sig.n_in != n_in) {
        if (n_in == 0)
            return stage_err(c, s, RUNE_E_INVALID, "takes %zu input%s but nothing feeds it",
                             sig.n_in, sig.n_in == 1 ? "" : "s");
        return stage_err(c, s, RUNE_E_INVALID, "takes %zu input%s but %zu %s connected", sig.n_in,
                         sig.n_in == 1 ? "" : "s", n_in, n_in == 1 ? "is" : "are");
    }
    for (size_t p = 0; p < n_in; p++) {
        const rune_rf_edge *e = by_port[p];
        const rune_rf_stage *u = &c->g->stages[e->from];
        char a[TSTR], b[TSTR];
        if (!rune_rf_type_compatible(&in[p], &sig.in[p]))
            return rf_err(c->err, RUNE_E_INVALID, e->loc,
                          "%s.%zu (%s:%u:%u) gives %s but %s.%zu (%s:%u:%u) takes %s", u->name,
                          e->from_port, u->loc.file, (unsigned)u->loc.line, (unsigned)u->loc.col,
                          rune_rf_type_str(&in[p], a, sizeof a), s->name, p, s->loc.file,
                          (unsigned)s->loc.line, (unsigned)s->loc.col,
                          rune_rf_type_str(&sig.in[p], b, sizeof b));
    }
    s->n_in = n_in;
    memcpy(s->in, in, sizeof s->in);
    s->n_out = sig.n_out;
    memcpy(s->out, sig.out, sizeof s->out);
    return RUNE_OK;
}

rune_status rune_runefile_typecheck(rune_runefile *g, const rune_rf_resolver *resolver,
                                    rune_error *err)
{
    if (!g) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_typecheck: NULL graph");
    checker c = {g, resolver, err};
    g->typed = 0;
    for (size_t k = 0; k < g->n_stages; k++) {
        rune_status st = check_stage(&c, g->order[k]);
        if (st) return st;
    }
    g->typed = 1;
    return RUNE_OK;
}

/*
 * yml.c - Runefile.yml, read with libfyaml into the same pipeline graph as the text syntax.
 *
 * Schema (version 1):
 *   version: 1
 *   image: runicos/base
 *   pipeline:                      # stage name -> stage, in the order written
 *     audio:
 *       capability: SOUND          # exactly one of capability: KIND | proc-block: NAME-or-path |
 *       args: {hz: 16000}          #   model: PATH | out: KIND
 *       outputs:                   # declared output types, one per output port
 *         - type: i16              #   (type optional: any element; dimensions optional: any shape)
 *           dimensions: [16000]
 *     fft:
 *       proc-block: runicos/fft
 *       inputs: [audio]            # input port i <- entry i: `stage` (output 0) or `stage.N`
 *   resources:                     # name -> {inline: TEXT} or {path: FILE}, optional type:
 *     labels: {path: ./labels.txt, type: string}   #   string | binary
 * Unknown keys are refused with the nearest known key. libfyaml's own syntax errors (indentation,
 * unclosed flow collections, duplicate keys) keep its line:column. Aliases are refused: a Runefile
 * has no need for them and refusing them rules out alias bombs.
 * Workload: files of tens of lines; the whole document is built in memory by libfyaml.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

typedef struct yml_parser {
    rf_builder b;
    const char *file;
    rune_error *err;
} yml_parser;

#define NOMEM(err) RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading a Runefile")

/* Where a node starts: scalars carry a token; collections are located by their first item. */
static rune_rf_loc node_loc(yml_parser *yp, struct fy_node *n, rune_rf_loc fallback)
{
    for (int depth = 0; n && depth < 64; depth++) {
        if (fy_node_is_scalar(n) || fy_node_is_alias(n)) {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            if (!m) break;
            rune_rf_loc l = {yp->file, (uint32_t)m->line + 1, (uint32_t)m->column + 1};
            if (fy_node_is_alias(n) && l.col > 1) l.col--; /* the token starts after the '*' */
            return l;
        }
        void *it = NULL;
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
    return fallback;
}

static const char *scalar(struct fy_node *n, size_t *len)
{
    if (!n || !fy_node_is_scalar(n)) return NULL;
    return fy_node_get_scalar(n, len);
}

/* Refuses a node that is not what the schema wants there. */
static rune_status want(yml_parser *yp, struct fy_node *n, rune_rf_loc at, int scalar_ok,
                        int map_ok, int seq_ok, const char *what)
{
    if (n && fy_node_is_alias(n))
        return rf_err(yp->err, RUNE_E_UNSUPPORTED, node_loc(yp, n, at),
                      "YAML aliases are not supported in a Runefile");
    if (n && ((scalar_ok && fy_node_is_scalar(n)) || (map_ok && fy_node_is_mapping(n)) ||
              (seq_ok && fy_node_is_sequence(n))))
        return RUNE_OK;
    return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, n, at), "expected %s", what);
}

static rune_status unknown_key(yml_parser *yp, const char *k, size_t klen, rune_rf_loc at,
                               const char *where, const char *const *keys, size_t n)
{
    char hint[64];
    char list[160];
    size_t pos = 0;
    list[0] = 0;
    for (size_t i = 0; i < n && pos < sizeof list; i++)
        pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "", keys[i]);
    return rf_err(yp->err, RUNE_E_MALFORMED, at, "unknown key '%.*s' in %s: expected %s%s",
                  (int)klen, k, where, list, rf_hint(hint, sizeof hint, k, klen, keys, n));
}

/* ---- stages --------------------------------------------------------------------------------- */

static rune_status parse_type_entry(yml_parser *yp, rune_rf_stage *s, struct fy_node *n,
                                    rune_rf_loc at)
{
    static const char *const keys[] = {"type", "dimensions"};
    rune_status st =
        want(yp, n, at, 0, 1, 0, "an output type such as {type: i16, dimensions: [16000]}");
    if (st) return st;
    if (s->n_decl_out == RUNE_RF_MAX_PORTS)
        return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, n, at), "too many outputs");
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    t.rank = -1;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        rune_rf_loc kl = node_loc(yp, k, at);
        size_t klen = 0, vlen = 0;
        const char *ks = scalar(k, &klen);
        if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a key");
        if (rf_streq_nocase(ks, klen, "type")) {
            if ((st = want(yp, v, kl, 1, 0, 0, "an element type such as i16"))) return st;
            const char *vs = scalar(v, &vlen);
            int e = rf_elem_parse(vs, vlen);
            if (e < 0) {
                char hint[64];
                return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, v, kl),
                              "bad type '%.*s': expected an element type such as u8, i8, u16, "
                              "i16, u32, i32, f32, f64, utf8%s",
                              (int)vlen, vs,
                              rf_hint(hint, sizeof hint, vs, vlen, rf_elem_names, rf_n_elem_names));
            }
            t.elem = (rune_rf_elem)e;
        } else if (rf_streq_nocase(ks, klen, "dimensions")) {
            if ((st = want(yp, v, kl, 0, 0, 1, "a list of dimensions such as [1, 1960]")))
                return st;
            t.rank = 0;
            void *it2 = NULL;
            struct fy_node *d;
            while ((d = fy_node_sequence_iterate(v, &it2))) {
                const char *ds = scalar(d, &vlen);
                char *end = NULL;
                unsigned long x = ds && vlen && vlen < 12 ? strtoul(ds, &end, 10) : 0;
                if (!ds || !vlen || vlen >= 12 || end != ds + vlen || x == 0 || x >= (1ul << 31) ||
                    ds[0] == '-' || ds[0] == '+' || ds[0] == ' ')
                    return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, d, kl),
                                  "bad dimension: expected a whole number from 1 up");
                if (t.rank == RUNE_RF_MAX_RANK)
                    return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, d, kl),
                                  "too many dimensions (at most %d)", RUNE_RF_MAX_RANK);
                t.dims[t.rank++] = (uint32_t)x;
            }
        } else {
            return unknown_key(yp, ks, klen, kl, "an output type", keys, 2);
        }
    }
    s->decl_out[s->n_decl_out++] = t;
    return RUNE_OK;
}

static rune_status parse_args(yml_parser *yp, rune_rf_stage *s, struct fy_node *n, rune_rf_loc at)
{
    rune_status st = want(yp, n, at, 0, 1, 0, "a map of arguments such as {hz: 16000}");
    if (st) return st;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        rune_rf_loc kl = node_loc(yp, k, at);
        size_t klen = 0, vlen = 0;
        const char *ks = scalar(k, &klen);
        if (!ks || !klen) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected an argument name");
        if ((st = want(yp, v, kl, 1, 0, 1, "an argument value: a scalar or a list of scalars")))
            return st;
        rune_rf_arg *a;
        if ((st = rf_arg_add(s, ks, klen, fy_node_is_sequence(v), kl, &a, yp->err))) return st;
        if (fy_node_is_scalar(v)) {
            const char *vs = scalar(v, &vlen);
            if ((st = rf_arg_push(a, vs ? vs : "", vs ? vlen : 0, yp->err))) return st;
            continue;
        }
        void *it2 = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(v, &it2))) {
            if ((st = want(yp, item, kl, 1, 0, 0, "a scalar list item"))) return st;
            const char *vs = scalar(item, &vlen);
            if ((st = rf_arg_push(a, vs ? vs : "", vs ? vlen : 0, yp->err))) return st;
        }
    }
    return RUNE_OK;
}

/* inputs: `stage`, `stage.N`, or a list of them; entry i feeds input port i. */
static rune_status parse_inputs(yml_parser *yp, rune_rf_stage *s, struct fy_node *n, rune_rf_loc at)
{
    rune_status st = want(yp, n, at, 1, 0, 1, "an input such as `audio`, or a list of them");
    if (st) return st;
    long port = 0;
    void *it = NULL;
    struct fy_node *item = fy_node_is_scalar(n) ? n : fy_node_sequence_iterate(n, &it);
    for (; item; item = fy_node_is_scalar(n) ? NULL : fy_node_sequence_iterate(n, &it), port++) {
        if ((st = want(yp, item, at, 1, 0, 0, "a stage name such as `audio` or `model.1`")))
            return st;
        rune_rf_loc il = node_loc(yp, item, at);
        size_t len = 0;
        const char *v = scalar(item, &len);
        const char *dot = memchr(v, '.', len);
        size_t name_len = dot ? (size_t)(dot - v) : len;
        size_t from_port = 0;
        if (dot) {
            const char *d = dot + 1;
            size_t dl = len - name_len - 1;
            for (size_t i = 0; i < dl; i++) {
                if (d[i] < '0' || d[i] > '9' || from_port > RUNE_RF_MAX_PORTS) {
                    dl = 0;
                    break;
                }
                from_port = from_port * 10 + (size_t)(d[i] - '0');
            }
            if (dl == 0)
                return rf_err(yp->err, RUNE_E_MALFORMED, il,
                              "bad input '%.*s': expected `stage` or `stage.N`", (int)len, v);
        }
        if (name_len == 0)
            return rf_err(yp->err, RUNE_E_MALFORMED, il, "empty stage name in inputs");
        if (port >= RUNE_RF_MAX_PORTS)
            return rf_err(yp->err, RUNE_E_MALFORMED, il, "too many inputs (at most %d)",
                          RUNE_RF_MAX_PORTS);
        if ((st = rf_ref_add(&yp->b, v, name_len, from_port, il, s->name, strlen(s->name), port, il,
                             yp->err)))
            return st;
    }
    return RUNE_OK;
}

static const char *const stage_keys[] = {"capability", "proc-block", "model", "out",
                                         "inputs",     "outputs",    "args"};
#define N_STAGE_KEYS (sizeof stage_keys / sizeof stage_keys[0])

static rune_status parse_stage(yml_parser *yp, struct fy_node *key, struct fy_node *val)
{
    rune_rf_loc at = node_loc(yp, key, (rune_rf_loc){yp->file, 1, 1});
    size_t nlen = 0;
    const char *name = scalar(key, &nlen);
    if (!name || !nlen) return rf_err(yp->err, RUNE_E_MALFORMED, at, "expected a stage name");
    for (size_t i = 0; i < nlen; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9' && i) || name[i] == '_' || (name[i] == '-' && i)))
            return rf_err(yp->err, RUNE_E_MALFORMED, at,
                          "bad stage name '%.*s': use letters, digits, '_' and '-', starting "
                          "with a letter",
                          (int)nlen, name);
    rune_status st =
        want(yp, val, at, 0, 1, 0, "a stage: a map with capability, proc-block, model or out");
    if (st) return st;
    /* First pass: the kind. */
    struct fy_node *kind_node = NULL;
    int kind = -1;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(val, &it))) {
        size_t klen = 0;
        const char *ks = scalar(fy_node_pair_key(p), &klen);
        rune_rf_loc kl = node_loc(yp, fy_node_pair_key(p), at);
        if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a key");
        size_t k = 0;
        while (k < N_STAGE_KEYS && !rf_streq_nocase(ks, klen, stage_keys[k]))
            k++;
        if (k == N_STAGE_KEYS)
            return unknown_key(yp, ks, klen, kl, "a stage", stage_keys, N_STAGE_KEYS);
        if (k > RUNE_RF_OUT) continue;
        if (kind >= 0)
            return rf_err(yp->err, RUNE_E_MALFORMED, kl, "stage '%.*s' has two kinds: %s and %.*s",
                          (int)nlen, name, stage_keys[kind], (int)klen, ks);
        kind = (int)k;
        kind_node = fy_node_pair_value(p);
        if ((st = want(yp, kind_node, kl, 1, 0, 0, "a scalar"))) return st;
    }
    if (kind < 0)
        return rf_err(yp->err, RUNE_E_MALFORMED, at,
                      "stage '%.*s' needs one of capability, proc-block, model, out", (int)nlen,
                      name);
    rune_rf_stage *s;
    if ((st = rf_stage_add(&yp->b, (rune_rf_stage_kind)kind, name, nlen, at, &s, yp->err)))
        return st;
    size_t vlen = 0;
    const char *v = scalar(kind_node, &vlen);
    rune_rf_loc vl = node_loc(yp, kind_node, at);
    char hint[64];
    if (!v || !vlen) return rf_err(yp->err, RUNE_E_MALFORMED, vl, "empty %s", stage_keys[kind]);
    if (kind == RUNE_RF_CAPABILITY) {
        int ck = rf_cap_kind_parse(v, vlen);
        if (ck < 0)
            return rf_err(
                yp->err, RUNE_E_MALFORMED, vl,
                "expected a capability kind such as SOUND, IMAGE, ACCEL, RAND, RAW; "
                "got '%.*s'%s",
                (int)vlen, v,
                rf_hint(hint, sizeof hint, v, vlen, rf_cap_kind_names, rf_n_cap_kind_names));
        s->subkind = ck;
        s->source = rune_strdup(rune_rf_cap_kind_name((rune_rf_cap_kind)ck));
    } else if (kind == RUNE_RF_OUT) {
        int ok = rf_out_kind_parse(v, vlen);
        if (ok < 0)
            return rf_err(
                yp->err, RUNE_E_MALFORMED, vl,
                "expected an output kind such as serial, tensor, file; got '%.*s'%s", (int)vlen, v,
                rf_hint(hint, sizeof hint, v, vlen, rf_out_kind_names, rf_n_out_kind_names));
        s->subkind = ok;
        s->source = rune_strdup(rune_rf_out_kind_name((rune_rf_out_kind)ok));
    } else {
        s->source = rune_strndup(v, vlen);
    }
    if (!s->source) return NOMEM(yp->err);
    /* Second pass: the rest. */
    it = NULL;
    while ((p = fy_node_mapping_iterate(val, &it))) {
        size_t klen = 0;
        const char *ks = scalar(fy_node_pair_key(p), &klen);
        struct fy_node *pv = fy_node_pair_value(p);
        rune_rf_loc kl = node_loc(yp, fy_node_pair_key(p), at);
        if (rf_streq_nocase(ks, klen, "inputs")) {
            if (kind == RUNE_RF_CAPABILITY)
                return rf_err(yp->err, RUNE_E_INVALID, kl, "a capability takes no inputs");
            st = parse_inputs(yp, s, pv, kl);
        } else if (rf_streq_nocase(ks, klen, "outputs")) {
            if (kind == RUNE_RF_OUT)
                return rf_err(yp->err, RUNE_E_INVALID, kl, "an output stage gives no outputs");
            if ((st = want(yp, pv, kl, 0, 0, 1, "a list of output types"))) return st;
            void *it2 = NULL;
            struct fy_node *o;
            while (!st && (o = fy_node_sequence_iterate(pv, &it2)))
                st = parse_type_entry(yp, s, o, kl);
        } else if (rf_streq_nocase(ks, klen, "args")) {
            st = parse_args(yp, s, pv, kl);
        }
        if (st) return st;
    }
    return RUNE_OK;
}

/* ---- document ------------------------------------------------------------------------------- */

static rune_status parse_resources(yml_parser *yp, struct fy_node *n, rune_rf_loc at)
{
    static const char *const keys[] = {"inline", "path", "type"};
    rune_status st = want(yp, n, at, 0, 1, 0, "a map of resources");
    if (st) return st;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        rune_rf_loc kl = node_loc(yp, k, at);
        size_t nlen = 0;
        const char *name = scalar(k, &nlen);
        if (!name || !nlen)
            return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a resource name");
        if ((st = want(yp, v, kl, 0, 1, 0, "a resource: {inline: TEXT} or {path: FILE}")))
            return st;
        rune_rf_resource *r;
        if ((st = rf_resource_add(&yp->b, name, nlen, kl, &r, yp->err))) return st;
        void *it2 = NULL;
        struct fy_node_pair *q;
        while ((q = fy_node_mapping_iterate(v, &it2))) {
            struct fy_node *qk = fy_node_pair_key(q), *qv = fy_node_pair_value(q);
            rune_rf_loc ql = node_loc(yp, qk, kl);
            size_t klen = 0, vlen = 0;
            const char *ks = scalar(qk, &klen);
            if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, ql, "expected a key");
            if ((st = want(yp, qv, ql, 1, 0, 0, "a scalar"))) return st;
            const char *vs = scalar(qv, &vlen);
            if (!vs) vs = "", vlen = 0;
            char **dst = NULL;
            if (rf_streq_nocase(ks, klen, "inline"))
                dst = &r->data;
            else if (rf_streq_nocase(ks, klen, "path"))
                dst = &r->path;
            else if (rf_streq_nocase(ks, klen, "type")) {
                if (!rf_streq_nocase(vs, vlen, "string") && !rf_streq_nocase(vs, vlen, "binary"))
                    return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, qv, ql),
                                  "resource type must be string or binary; got '%.*s'", (int)vlen,
                                  vs);
                r->binary = rf_streq_nocase(vs, vlen, "binary");
                continue;
            } else {
                return unknown_key(yp, ks, klen, ql, "a resource", keys, 3);
            }
            *dst = rune_strndup(vs, vlen);
            if (!*dst) return NOMEM(yp->err);
        }
        if (!!r->path == !!r->data)
            return rf_err(yp->err, RUNE_E_MALFORMED, kl,
                          "resource '%s' needs exactly one of inline and path", r->name);
    }
    return RUNE_OK;
}

static rune_status parse_doc(yml_parser *yp, struct fy_document *doc)
{
    static const char *const keys[] = {"version", "image", "pipeline", "resources"};
    rune_rf_loc top = {yp->file, 1, 1};
    struct fy_node *root = fy_document_root(doc);
    rune_status st = want(yp, root, top, 0, 1, 0, "a map with version, image and pipeline");
    if (st) return st;
    struct fy_node *pipeline = NULL, *resources = NULL;
    rune_rf_loc pipeline_loc = top, resources_loc = top;
    int have_version = 0;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(root, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        rune_rf_loc kl = node_loc(yp, k, top);
        size_t klen = 0, vlen = 0;
        const char *ks = scalar(k, &klen);
        if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a key");
        if (rf_streq_nocase(ks, klen, "version")) {
            const char *vs = scalar(v, &vlen);
            if (!vs || !(vlen == 1 && vs[0] == '1'))
                return rf_err(yp->err, RUNE_E_UNSUPPORTED, node_loc(yp, v, kl),
                              "unsupported Runefile.yml version: expected `version: 1`");
            have_version = 1;
        } else if (rf_streq_nocase(ks, klen, "image")) {
            if ((st = want(yp, v, kl, 1, 0, 0, "an image name such as runicos/base"))) return st;
            const char *vs = scalar(v, &vlen);
            if (!vs || !vlen) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "empty image name");
            yp->b.g->image = rune_strndup(vs, vlen);
            if (!yp->b.g->image) return NOMEM(yp->err);
            yp->b.g->image_loc = node_loc(yp, v, kl);
        } else if (rf_streq_nocase(ks, klen, "pipeline")) {
            pipeline = v;
            pipeline_loc = kl;
        } else if (rf_streq_nocase(ks, klen, "resources")) {
            resources = v;
            resources_loc = kl;
        } else {
            return unknown_key(yp, ks, klen, kl, "a Runefile.yml", keys, 4);
        }
    }
    if (!have_version) return rf_err(yp->err, RUNE_E_MALFORMED, top, "missing `version: 1`");
    if (!yp->b.g->image)
        return rf_err(yp->err, RUNE_E_INVALID, top,
                      "missing image: a Runefile.yml names its base, e.g. `image: runicos/base`");
    if (!pipeline) return rf_err(yp->err, RUNE_E_INVALID, top, "missing pipeline: a map of stages");
    if ((st = want(yp, pipeline, pipeline_loc, 0, 1, 0, "a map of stages"))) return st;
    it = NULL;
    while ((p = fy_node_mapping_iterate(pipeline, &it)))
        if ((st = parse_stage(yp, fy_node_pair_key(p), fy_node_pair_value(p)))) return st;
    if (resources && (st = parse_resources(yp, resources, resources_loc))) return st;
    return RUNE_OK;
}

rune_status rune_runefile_parse_yaml(const char *src, size_t len, const char *file,
                                     rune_runefile **out, rune_error *err)
{
    if (!out || (!src && len)) return RUNE_ERR(err, RUNE_E_ARG, "rune_runefile_parse_yaml: NULL");
    *out = NULL;
    yml_parser yp;
    memset(&yp, 0, sizeof yp);
    yp.err = err;
    rune_status st = rf_build_init(&yp.b, file, err);
    if (st) return st;
    yp.file = yp.b.g->file;
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = NULL;
    dc.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dc);
    struct fy_document *doc = NULL;
    if (!diag) {
        st = NOMEM(err);
        goto done;
    }
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg pc;
    memset(&pc, 0, sizeof pc);
    pc.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
    pc.diag = diag;
    /* libfyaml wants a non-NULL buffer even when empty. */
    doc = fy_document_build_from_string(&pc, src ? src : "", len);
    if (!doc) {
        void *it = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
        rune_rf_loc at = {yp.file, 1, 1};
        if (e && e->line > 0) at.line = (uint32_t)e->line;
        if (e && e->column > 0) at.col = (uint32_t)e->column;
        if (e && e->msg)
            st = rf_err(err, RUNE_E_MALFORMED, at, "YAML: %s", e->msg);
        else
            st = rf_err(err, RUNE_E_MALFORMED, at,
                        "expected a map with version, image and pipeline; the document is empty");
        goto done;
    }
    if ((st = parse_doc(&yp, doc))) goto done;
    st = rf_build_finish(&yp.b, out, err);
done:
    if (doc) fy_document_destroy(doc);
    if (diag) fy_diag_destroy(diag);
    if (st) rf_build_free(&yp.b);
    return st;
}

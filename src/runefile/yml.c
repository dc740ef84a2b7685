/*
 * yml.c - Runefile.yml, read with libyaml into the same pipeline graph as the text syntax.
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
 * Unknown and duplicate keys are refused with the nearest known key / the first place. libyaml's
 * own syntax errors (indentation, unclosed flow collections) keep its line:column. Aliases are
 * refused: a Runefile has no need for them.
 *
 * Why libyaml and not libfyaml: the first version used libfyaml 0.7.12 (Debian 12), and
 * fuzz_runefile_yml made it hang ("%v\xe9") and crash (NUL bytes, "? a:\t?i", a segfault in
 * fy_indent_vacuum_internal); those inputs are kept in fuzz/runefile/corpus/runefile_yml. libyaml
 * 0.2.5 has long been fuzzed upstream and gives every node a start mark. Input outside YAML's
 * character set is still refused before the parser sees it (utf8.c).
 * Workload: files of tens of lines; the whole document is built in memory by libyaml.
 */
#include "runefile_int.h"

#include "rune/alloc.h"

#include <yaml.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct yml_parser {
    rf_builder b;
    const char *file;
    rune_error *err;
    yaml_document_t *doc;
} yml_parser;

typedef yaml_node_t node;

static int is_scalar(const node *n)
{
    return n && n->type == YAML_SCALAR_NODE;
}
static int is_map(const node *n)
{
    return n && n->type == YAML_MAPPING_NODE;
}
static int is_seq(const node *n)
{
    return n && n->type == YAML_SEQUENCE_NODE;
}
static node *get(yml_parser *yp, int i)
{
    return yaml_document_get_node(yp->doc, i);
}
static size_t map_len(const node *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}
static node *map_key(yml_parser *yp, const node *n, size_t i)
{
    return get(yp, n->data.mapping.pairs.start[i].key);
}
static node *map_value(yml_parser *yp, const node *n, size_t i)
{
    return get(yp, n->data.mapping.pairs.start[i].value);
}
static size_t seq_len(const node *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}
static node *seq_item(yml_parser *yp, const node *n, size_t i)
{
    return get(yp, n->data.sequence.items.start[i]);
}

#define NOMEM(err) RUNE_ERR(err, RUNE_E_NOMEM, "out of memory reading a Runefile")

/* Where a node starts (libyaml marks are 0-based). */
static rune_rf_loc node_loc(yml_parser *yp, const node *n, rune_rf_loc fallback)
{
    if (!n) return fallback;
    rune_rf_loc l = {yp->file, (uint32_t)n->start_mark.line + 1,
                     (uint32_t)n->start_mark.column + 1};
    return l;
}

static const char *scalar(const node *n, size_t *len)
{
    if (!is_scalar(n)) return NULL;
    *len = n->data.scalar.length;
    return (const char *)n->data.scalar.value;
}

/* Refuses a node that is not what the schema wants there. */
static rune_status want(yml_parser *yp, const node *n, rune_rf_loc at, int scalar_ok, int map_ok,
                        int seq_ok, const char *what)
{
    if ((scalar_ok && is_scalar(n)) || (map_ok && is_map(n)) || (seq_ok && is_seq(n)))
        return RUNE_OK;
    return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, n, at), "expected %s", what);
}

/* libyaml does not refuse duplicate keys; every map of keywords the schema reads goes through this.
 * Keywords match in any case ("Path" is "path"), so duplicates are found in any case too. */
static rune_status no_duplicate_keys(yml_parser *yp, const node *m)
{
    size_t n = map_len(m);
    for (size_t i = 1; i < n; i++) {
        size_t ilen = 0;
        const char *ki = scalar(map_key(yp, m, i), &ilen);
        if (!ki) continue;
        for (size_t j = 0; j < i; j++) {
            size_t jlen = 0;
            const char *kj = scalar(map_key(yp, m, j), &jlen);
            if (!kj || ilen != jlen || strncasecmp(ki, kj, ilen) != 0) continue;
            rune_rf_loc first = node_loc(yp, map_key(yp, m, j), (rune_rf_loc){yp->file, 1, 1});
            return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, map_key(yp, m, i), first),
                          "duplicate key '%.*s'; first at %s:%u:%u", (int)ilen, ki, first.file,
                          (unsigned)first.line, (unsigned)first.col);
        }
    }
    return RUNE_OK;
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

static rune_status parse_type_entry(yml_parser *yp, rune_rf_stage *s, const node *n, rune_rf_loc at)
{
    static const char *const keys[] = {"type", "dimensions"};
    rune_status st =
        want(yp, n, at, 0, 1, 0, "an output type such as {type: i16, dimensions: [16000]}");
    if (st || (st = no_duplicate_keys(yp, n))) return st;
    if (s->n_decl_out == RUNE_RF_MAX_PORTS)
        return rf_err(yp->err, RUNE_E_MALFORMED, node_loc(yp, n, at), "too many outputs");
    rune_rf_type t;
    memset(&t, 0, sizeof t);
    t.rank = -1;
    for (size_t i = 0; i < map_len(n); i++) {
        const node *k = map_key(yp, n, i), *v = map_value(yp, n, i);
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
            for (size_t j = 0; j < seq_len(v); j++) {
                const node *d = seq_item(yp, v, j);
                const char *ds = scalar(d, &vlen);
                uint64_t x = 0;
                int ok = ds && vlen > 0 && vlen < 11;
                for (size_t c = 0; ok && c < vlen; c++) {
                    ok = ds[c] >= '0' && ds[c] <= '9';
                    x = x * 10 + (uint64_t)(ds[c] - '0');
                }
                if (!ok || x == 0 || x >= (UINT64_C(1) << 31))
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

static rune_status parse_args(yml_parser *yp, rune_rf_stage *s, const node *n, rune_rf_loc at)
{
    rune_status st = want(yp, n, at, 0, 1, 0, "a map of arguments such as {hz: 16000}");
    if (st) return st;
    for (size_t i = 0; i < map_len(n); i++) {
        const node *k = map_key(yp, n, i), *v = map_value(yp, n, i);
        rune_rf_loc kl = node_loc(yp, k, at);
        size_t klen = 0, vlen = 0;
        const char *ks = scalar(k, &klen);
        if (!ks || !klen) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected an argument name");
        if ((st = want(yp, v, kl, 1, 0, 1, "an argument value: a scalar or a list of scalars")))
            return st;
        rune_rf_arg *a;
        if ((st = rf_arg_add(s, ks, klen, is_seq(v), kl, &a, yp->err))) return st;
        if (is_scalar(v)) {
            const char *vs = scalar(v, &vlen);
            if ((st = rf_arg_push(a, vs, vlen, yp->err))) return st;
            continue;
        }
        for (size_t j = 0; j < seq_len(v); j++) {
            const node *item = seq_item(yp, v, j);
            if ((st = want(yp, item, kl, 1, 0, 0, "a scalar list item"))) return st;
            const char *vs = scalar(item, &vlen);
            if ((st = rf_arg_push(a, vs, vlen, yp->err))) return st;
        }
    }
    return RUNE_OK;
}

/* inputs: `stage`, `stage.N`, or a list of them; entry i feeds input port i. */
static rune_status parse_inputs(yml_parser *yp, rune_rf_stage *s, const node *n, rune_rf_loc at)
{
    rune_status st = want(yp, n, at, 1, 0, 1, "an input such as `audio`, or a list of them");
    if (st) return st;
    size_t count = is_scalar(n) ? 1 : seq_len(n);
    for (size_t port = 0; port < count; port++) {
        const node *item = is_scalar(n) ? n : seq_item(yp, n, port);
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
        if ((st = rf_ref_add(&yp->b, v, name_len, from_port, il, s->name, strlen(s->name),
                             (long)port, il, yp->err)))
            return st;
    }
    return RUNE_OK;
}

static const char *const stage_keys[] = {"capability", "proc-block", "model", "out",
                                         "inputs",     "outputs",    "args"};
#define N_STAGE_KEYS (sizeof stage_keys / sizeof stage_keys[0])

static rune_status set_source(yml_parser *yp, rune_rf_stage *s, int kind, const node *kn,
                              rune_rf_loc at)
{
    size_t vlen = 0;
    const char *v = scalar(kn, &vlen);
    rune_rf_loc vl = node_loc(yp, kn, at);
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
    return s->source ? RUNE_OK : NOMEM(yp->err);
}

static rune_status parse_stage(yml_parser *yp, const node *key, const node *val)
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
    if (st || (st = no_duplicate_keys(yp, val))) return st;
    /* First pass: the kind. */
    const node *kind_node = NULL;
    int kind = -1;
    for (size_t i = 0; i < map_len(val); i++) {
        size_t klen = 0;
        const node *k = map_key(yp, val, i);
        const char *ks = scalar(k, &klen);
        rune_rf_loc kl = node_loc(yp, k, at);
        if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a key");
        size_t j = 0;
        while (j < N_STAGE_KEYS && !rf_streq_nocase(ks, klen, stage_keys[j]))
            j++;
        if (j == N_STAGE_KEYS)
            return unknown_key(yp, ks, klen, kl, "a stage", stage_keys, N_STAGE_KEYS);
        if (j > RUNE_RF_OUT) continue;
        if (kind >= 0)
            return rf_err(yp->err, RUNE_E_MALFORMED, kl, "stage '%.*s' has two kinds: %s and %.*s",
                          (int)nlen, name, stage_keys[kind], (int)klen, ks);
        kind = (int)j;
        kind_node = map_value(yp, val, i);
        if ((st = want(yp, kind_node, kl, 1, 0, 0, "a scalar"))) return st;
    }
    if (kind < 0)
        return rf_err(yp->err, RUNE_E_MALFORMED, at,
                      "stage '%.*s' needs one of capability, proc-block, model, out", (int)nlen,
                      name);
    rune_rf_stage *s;
    if ((st = rf_stage_add(&yp->b, (rune_rf_stage_kind)kind, name, nlen, at, &s, yp->err)))
        return st;
    if ((st = set_source(yp, s, kind, kind_node, at))) return st;
    /* Second pass: the rest. */
    for (size_t i = 0; i < map_len(val); i++) {
        size_t klen = 0;
        const node *k = map_key(yp, val, i), *pv = map_value(yp, val, i);
        const char *ks = scalar(k, &klen);
        rune_rf_loc kl = node_loc(yp, k, at);
        if (rf_streq_nocase(ks, klen, "inputs")) {
            if (kind == RUNE_RF_CAPABILITY)
                return rf_err(yp->err, RUNE_E_INVALID, kl, "a capability takes no inputs");
            st = parse_inputs(yp, s, pv, kl);
        } else if (rf_streq_nocase(ks, klen, "outputs")) {
            if (kind == RUNE_RF_OUT)
                return rf_err(yp->err, RUNE_E_INVALID, kl, "an output stage gives no outputs");
            if ((st = want(yp, pv, kl, 0, 0, 1, "a list of output types"))) return st;
            for (size_t j = 0; !st && j < seq_len(pv); j++)
                st = parse_type_entry(yp, s, seq_item(yp, pv, j), kl);
        } else if (rf_streq_nocase(ks, klen, "args")) {
            st = parse_args(yp, s, pv, kl);
        }
        if (st) return st;
    }
    return RUNE_OK;
}

/* ---- document ------------------------------------------------------------------------------- */

static rune_status parse_resources(yml_parser *yp, const node *n, rune_rf_loc at)
{
    static const char *const keys[] = {"inline", "path", "type"};
    rune_status st = want(yp, n, at, 0, 1, 0, "a map of resources");
    if (st) return st;
    for (size_t i = 0; i < map_len(n); i++) {
        const node *k = map_key(yp, n, i), *v = map_value(yp, n, i);
        rune_rf_loc kl = node_loc(yp, k, at);
        size_t nlen = 0;
        const char *name = scalar(k, &nlen);
        if (!name || !nlen)
            return rf_err(yp->err, RUNE_E_MALFORMED, kl, "expected a resource name");
        if ((st = want(yp, v, kl, 0, 1, 0, "a resource: {inline: TEXT} or {path: FILE}")) ||
            (st = no_duplicate_keys(yp, v)))
            return st;
        rune_rf_resource *r;
        if ((st = rf_resource_add(&yp->b, name, nlen, kl, &r, yp->err))) return st;
        for (size_t j = 0; j < map_len(v); j++) {
            const node *qk = map_key(yp, v, j), *qv = map_value(yp, v, j);
            rune_rf_loc ql = node_loc(yp, qk, kl);
            size_t klen = 0, vlen = 0;
            const char *ks = scalar(qk, &klen);
            if (!ks) return rf_err(yp->err, RUNE_E_MALFORMED, ql, "expected a key");
            if ((st = want(yp, qv, ql, 1, 0, 0, "a scalar"))) return st;
            const char *vs = scalar(qv, &vlen);
            char **dst = NULL;
            if (rf_streq_nocase(ks, klen, "inline")) {
                dst = &r->data;
            } else if (rf_streq_nocase(ks, klen, "path")) {
                dst = &r->path;
            } else if (rf_streq_nocase(ks, klen, "type")) {
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

/* An alias makes two places in the document share one node: refuse any node used twice. */
static rune_status no_aliases(yml_parser *yp)
{
    yaml_document_t *d = yp->doc;
    size_t n = (size_t)(d->nodes.top - d->nodes.start);
    unsigned char *used = rune_calloc(n + 1, 1);
    if (!used) return NOMEM(yp->err);
    rune_status st = RUNE_OK;
    for (size_t i = 0; i < n && !st; i++) {
        const node *p = &d->nodes.start[i];
        size_t m = p->type == YAML_MAPPING_NODE    ? 2 * map_len(p)
                   : p->type == YAML_SEQUENCE_NODE ? seq_len(p)
                                                   : 0;
        for (size_t j = 0; j < m && !st; j++) {
            int id = p->type == YAML_SEQUENCE_NODE ? p->data.sequence.items.start[j]
                     : j % 2                       ? p->data.mapping.pairs.start[j / 2].value
                                                   : p->data.mapping.pairs.start[j / 2].key;
            if (id < 1 || (size_t)id > n) continue;
            if (used[id]++) {
                /* Point at where it is used again: the key of a map entry, or the list. */
                rune_rf_loc top = {yp->file, 1, 1};
                const node *where = p->type == YAML_MAPPING_NODE
                                        ? get(yp, p->data.mapping.pairs.start[j / 2].key)
                                        : p;
                rune_rf_loc def = node_loc(yp, get(yp, id), top);
                st = rf_err(yp->err, RUNE_E_UNSUPPORTED, node_loc(yp, where, top),
                            "YAML aliases are not supported in a Runefile (the node at %u:%u is "
                            "used again here)",
                            (unsigned)def.line, (unsigned)def.col);
            }
        }
    }
    rune_free(used);
    return st;
}

static rune_status parse_doc(yml_parser *yp)
{
    static const char *const keys[] = {"version", "image", "pipeline", "resources"};
    rune_rf_loc top = {yp->file, 1, 1};
    const node *root = yaml_document_get_root_node(yp->doc);
    if (!root)
        return rf_err(yp->err, RUNE_E_MALFORMED, top,
                      "expected a map with version, image and pipeline; the document is empty");
    rune_status st = want(yp, root, top, 0, 1, 0, "a map with version, image and pipeline");
    if (st || (st = no_aliases(yp)) || (st = no_duplicate_keys(yp, root))) return st;
    const node *pipeline = NULL, *resources = NULL;
    rune_rf_loc pipeline_loc = top, resources_loc = top;
    int have_version = 0;
    for (size_t i = 0; i < map_len(root); i++) {
        const node *k = map_key(yp, root, i), *v = map_value(yp, root, i);
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
            if (yp->b.g->image)
                return rf_err(yp->err, RUNE_E_MALFORMED, kl, "`image` is given twice");
            if ((st = want(yp, v, kl, 1, 0, 0, "an image name such as runicos/base"))) return st;
            const char *vs = scalar(v, &vlen);
            if (!vlen) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "empty image name");
            yp->b.g->image = rune_strndup(vs, vlen);
            if (!yp->b.g->image) return NOMEM(yp->err);
            yp->b.g->image_loc = node_loc(yp, v, kl);
        } else if (rf_streq_nocase(ks, klen, "pipeline")) {
            if (pipeline) return rf_err(yp->err, RUNE_E_MALFORMED, kl, "`pipeline` is given twice");
            pipeline = v;
            pipeline_loc = kl;
        } else if (rf_streq_nocase(ks, klen, "resources")) {
            if (resources)
                return rf_err(yp->err, RUNE_E_MALFORMED, kl, "`resources` is given twice");
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
    for (size_t i = 0; i < map_len(pipeline); i++)
        if ((st = parse_stage(yp, map_key(yp, pipeline, i), map_value(yp, pipeline, i)))) return st;
    if (resources && (st = parse_resources(yp, resources, resources_loc))) return st;
    return RUNE_OK;
}

/* libyaml's error: "problem (context at L:C)" at the problem's place (marks are 0-based), with a
 * hint for the two mistakes people make most: indentation and tabs. */
static rune_status syntax_error(yml_parser *yp, yaml_parser_t *p, const char *src, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) return NOMEM(yp->err);
    rune_rf_loc at = {yp->file, (uint32_t)p->problem_mark.line + 1,
                      (uint32_t)p->problem_mark.column + 1};
    const char *problem = p->problem ? p->problem : "not a valid YAML document";
    const char *hint = "";
    size_t at_byte = p->problem_mark.index;
    if (at_byte < len && src[at_byte] == '\t')
        hint = "; YAML indents with spaces, not tabs";
    else if (strstr(problem, "expected key") || strstr(problem, "mapping values are not allowed"))
        hint = "; check the indentation";
    if (p->context)
        return rf_err(yp->err, RUNE_E_MALFORMED, at, "YAML: %s (%s at %u:%u)%s", problem,
                      p->context, (unsigned)p->context_mark.line + 1,
                      (unsigned)p->context_mark.column + 1, hint);
    return rf_err(yp->err, RUNE_E_MALFORMED, at, "YAML: %s%s", problem, hint);
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
    uint32_t bad_line, bad_col;
    if (len && rf_utf8_check(src, len, &bad_line, &bad_col)) {
        st = rf_err(err, RUNE_E_MALFORMED, (rune_rf_loc){yp.file, bad_line, bad_col},
                    "not YAML text: a Runefile.yml is UTF-8 without control characters");
        rf_build_free(&yp.b);
        return st;
    }
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_doc = 0;
    if (!yaml_parser_initialize(&parser)) {
        rf_build_free(&yp.b);
        return NOMEM(err);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(src ? src : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        st = syntax_error(&yp, &parser, src, len);
        goto done;
    }
    have_doc = 1;
    yp.doc = &doc;
    if ((st = parse_doc(&yp))) goto done;
    /* One document only: a second one would be silently ignored otherwise. */
    if (!yaml_parser_load(&parser, &extra)) {
        st = syntax_error(&yp, &parser, src, len);
        goto done;
    }
    const node *extra_root = yaml_document_get_root_node(&extra);
    if (extra_root)
        st = rf_err(err, RUNE_E_MALFORMED,
                    (rune_rf_loc){yp.file, (uint32_t)extra.start_mark.line + 1,
                                  (uint32_t)extra.start_mark.column + 1},
                    "a second YAML document: a Runefile.yml holds one");
    yaml_document_delete(&extra);
    if (st) goto done;
    st = rf_build_finish(&yp.b, out, err);
done:
    if (have_doc) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (st) rf_build_free(&yp.b);
    return st;
}

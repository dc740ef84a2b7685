/*
 * manifest_decode.c - JSON -> rune manifest (libcjson): strict about types, with the JSON path of
 * every error ("models[1].digest: expected a string"), lenient about unknown fields. Manifests are
 * a few KiB; the whole document is parsed into a cJSON tree. The field table is in
 * manifest_encode.c.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/manifest.h"

#define PATH_MAX_ 200

static rune_status type_err(rune_error *err, const char *path, const char *what)
{
    return RUNE_ERR(err, RUNE_E_INVALID, "%s: expected %s", path, what);
}

static void subpath(char *out, const char *path, const char *key)
{
    if (snprintf(out, PATH_MAX_, "%s%s%s", path, path[0] ? "." : "", key) >= PATH_MAX_)
        out[PATH_MAX_ - 1] = '\0';
}

static void idxpath(char *out, const char *path, size_t i)
{
    if (snprintf(out, PATH_MAX_, "%s[%zu]", path, i) >= PATH_MAX_) out[PATH_MAX_ - 1] = '\0';
}

/* Optional string field; *out stays NULL when absent or null. */
static rune_status get_str(const cJSON *obj, const char *key, const char *path, int required,
                           char **out, rune_error *err)
{
    char p[PATH_MAX_];
    subpath(p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return RUNE_ERR(err, RUNE_E_INVALID, "%s: missing", p);
        return RUNE_OK;
    }
    if (!cJSON_IsString(v)) return type_err(err, p, "a string");
    *out = rune_strdup(v->valuestring);
    if (!*out) return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", p);
    return RUNE_OK;
}

static int as_uint(const cJSON *v, double max, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0) || d > max || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static rune_status get_uint(const cJSON *obj, const char *key, const char *path, double max,
                            uint64_t *out, rune_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) return RUNE_OK;
    if (!as_uint(v, max, out)) {
        char p[PATH_MAX_];
        subpath(p, path, key);
        return type_err(err, p, "a non-negative integer");
    }
    return RUNE_OK;
}

static rune_status decode_args(const cJSON *obj, const char *path, rune_manifest_arg **arr,
                               size_t *n, rune_error *err)
{
    if (!obj || cJSON_IsNull(obj)) return RUNE_OK;
    if (!cJSON_IsObject(obj)) return type_err(err, path, "an object");
    if (cJSON_GetArraySize(obj) > RUNE_MANIFEST_MAX_ARGS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "%s: more than %d entries", path,
                        RUNE_MANIFEST_MAX_ARGS);
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        char p[PATH_MAX_], num[40];
        subpath(p, path, v->string ? v->string : "");
        const char *text;
        if (cJSON_IsString(v)) {
            text = v->valuestring;
        } else if (cJSON_IsBool(v)) {
            text = cJSON_IsTrue(v) ? "true" : "false";
        } else if (cJSON_IsNumber(v)) {
            double d = v->valuedouble;
            if (floor(d) == d && fabs(d) < 9007199254740992.0)
                snprintf(num, sizeof num, "%lld", (long long)d);
            else
                snprintf(num, sizeof num, "%.17g", d);
            text = num;
        } else {
            return type_err(err, p, "a string, number or boolean");
        }
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*arr)[i].key, v->string) == 0)
                return RUNE_ERR(err, RUNE_E_INVALID, "%s: duplicate key", p);
        rune_manifest_arg *na = rune_realloc_array(*arr, *n + 1, sizeof *na);
        if (!na) return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", p);
        *arr = na;
        na[*n].key = rune_strdup(v->string);
        na[*n].value = rune_strdup(text);
        (*n)++;
        if (!na[*n - 1].key || !na[*n - 1].value)
            return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", p);
    }
    return RUNE_OK;
}

static rune_status decode_tensors(const cJSON *arrj, const char *path, rune_tensor_type **arr,
                                  size_t *n, rune_error *err)
{
    if (!arrj || cJSON_IsNull(arrj)) return RUNE_OK;
    if (!cJSON_IsArray(arrj)) return type_err(err, path, "an array");
    int count = cJSON_GetArraySize(arrj);
    if (count == 0) return RUNE_OK;
    if (count > RUNE_MANIFEST_MAX_PORTS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "%s: more than %d tensor types", path,
                        RUNE_MANIFEST_MAX_PORTS);
    *arr = rune_calloc((size_t)count, sizeof **arr);
    if (!*arr) return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", path);
    size_t i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, arrj)
    {
        char p[PATH_MAX_], q[PATH_MAX_];
        idxpath(p, path, i);
        if (!cJSON_IsObject(t)) return type_err(err, p, "an object");
        rune_tensor_type *tt = &(*arr)[i];
        *n = ++i;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(t, "type");
        subpath(q, p, "type");
        if (!ty) return RUNE_ERR(err, RUNE_E_INVALID, "%s: missing", q);
        if (!cJSON_IsString(ty)) return type_err(err, q, "a string");
        int dt = rune_dtype_parse(ty->valuestring);
        if (dt < 0)
            return RUNE_ERR(err, RUNE_E_INVALID, "%s: unknown element type '%s'", q,
                            ty->valuestring);
        tt->dtype = (rune_dtype)dt;
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
        subpath(q, p, "shape");
        if (!sh || cJSON_IsNull(sh)) continue;
        if (!cJSON_IsArray(sh)) return type_err(err, q, "an array");
        if (cJSON_GetArraySize(sh) > RUNE_TENSOR_MAX_DIMS)
            return RUNE_ERR(err, RUNE_E_INVALID, "%s: more than %d dimensions", q,
                            RUNE_TENSOR_MAX_DIMS);
        const cJSON *d;
        cJSON_ArrayForEach(d, sh)
        {
            uint64_t v;
            if (!as_uint(d, 4294967295.0, &v)) {
                char r[PATH_MAX_];
                idxpath(r, q, tt->ndims);
                return type_err(err, r, "a non-negative integer");
            }
            tt->dims[tt->ndims++] = (uint32_t)v;
        }
    }
    return RUNE_OK;
}

static rune_status decode_stage(const cJSON *o, const rune_manifest_list_spec *sp, const char *p,
                                rune_manifest_stage *s, rune_error *err)
{
    char q[PATH_MAX_];
    if (!cJSON_IsObject(o)) return type_err(err, p, "an object");
    rune_status st = get_str(o, "name", p, 1, &s->name, err);
    if (st == RUNE_OK && sp->kind_field) st = get_str(o, sp->kind_field, p, 0, &s->kind, err);
    if (st == RUNE_OK && sp->args) {
        subpath(q, p, "args");
        st = decode_args(cJSON_GetObjectItemCaseSensitive(o, "args"), q, &s->args, &s->nargs, err);
    }
    if (st == RUNE_OK && sp->inputs) {
        subpath(q, p, "inputs");
        st = decode_tensors(cJSON_GetObjectItemCaseSensitive(o, "inputs"), q, &s->inputs,
                            &s->ninputs, err);
    }
    if (st == RUNE_OK && sp->outputs) {
        subpath(q, p, "outputs");
        st = decode_tensors(cJSON_GetObjectItemCaseSensitive(o, "outputs"), q, &s->outputs,
                            &s->noutputs, err);
    }
    if (st == RUNE_OK && sp->blob) {
        char *dg = NULL;
        st = get_str(o, "digest", p, 0, &dg, err);
        if (st == RUNE_OK && dg && dg[0]) { /* "" means not yet known (before packaging) */
            if (!rune_digest_valid(dg)) {
                subpath(q, p, "digest");
                st = type_err(err, q, "\"sha256:\" and 64 lowercase hex digits");
            } else {
                memcpy(s->digest, dg, RUNE_DIGEST_STR_LEN);
            }
        }
        rune_free(dg);
        if (st == RUNE_OK) st = get_uint(o, "size", p, 9007199254740992.0, &s->size, err);
    }
    return st;
}

static rune_status decode_list(const cJSON *root, rune_manifest *m, rune_manifest_list l,
                               rune_error *err)
{
    const rune_manifest_list_spec *sp = &rune_manifest_specs[l];
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, sp->json_name);
    if (!arr || cJSON_IsNull(arr)) return RUNE_OK;
    if (!cJSON_IsArray(arr)) return type_err(err, sp->json_name, "an array");
    rune_manifest_stage **dst;
    size_t *n;
    switch (l) {
    case RUNE_LIST_CAPABILITIES: dst = &m->capabilities, n = &m->ncapabilities; break;
    case RUNE_LIST_PROC_BLOCKS: dst = &m->proc_blocks, n = &m->nproc_blocks; break;
    case RUNE_LIST_MODELS: dst = &m->models, n = &m->nmodels; break;
    case RUNE_LIST_OUTPUTS: dst = &m->outputs, n = &m->noutputs; break;
    default: dst = &m->resources, n = &m->nresources; break;
    }
    int count = cJSON_GetArraySize(arr);
    if (count == 0) return RUNE_OK;
    if (count > RUNE_MANIFEST_MAX_STAGES)
        return RUNE_ERR(err, RUNE_E_LIMIT, "%s: more than %d entries", sp->json_name,
                        RUNE_MANIFEST_MAX_STAGES);
    *dst = rune_calloc((size_t)count, sizeof **dst);
    if (!*dst) return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", sp->json_name);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        char p[PATH_MAX_];
        idxpath(p, sp->json_name, *n);
        rune_manifest_stage *s = &(*dst)[(*n)++];
        rune_status st = decode_stage(o, sp, p, s, err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

static rune_status decode_pipeline(const cJSON *root, rune_manifest *m, rune_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "pipeline");
    if (!arr || cJSON_IsNull(arr)) return RUNE_OK;
    if (!cJSON_IsArray(arr)) return type_err(err, "pipeline", "an array");
    int count = cJSON_GetArraySize(arr);
    if (count == 0) return RUNE_OK;
    if (count > RUNE_MANIFEST_MAX_EDGES)
        return RUNE_ERR(err, RUNE_E_LIMIT, "pipeline: more than %d edges", RUNE_MANIFEST_MAX_EDGES);
    m->pipeline = rune_calloc((size_t)count, sizeof *m->pipeline);
    if (!m->pipeline) return RUNE_ERR(err, RUNE_E_NOMEM, "pipeline: out of memory");
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        char p[PATH_MAX_];
        idxpath(p, "pipeline", m->npipeline);
        rune_manifest_edge *e = &m->pipeline[m->npipeline++];
        if (!cJSON_IsObject(o)) return type_err(err, p, "an object");
        uint64_t fp = 0, tp = 0;
        rune_status st = get_str(o, "from", p, 1, &e->from, err);
        if (st == RUNE_OK) st = get_str(o, "to", p, 1, &e->to, err);
        if (st == RUNE_OK) st = get_uint(o, "from_port", p, 4294967295.0, &fp, err);
        if (st == RUNE_OK) st = get_uint(o, "to_port", p, 4294967295.0, &tp, err);
        if (st != RUNE_OK) return st;
        e->from_port = (uint32_t)fp;
        e->to_port = (uint32_t)tp;
    }
    return RUNE_OK;
}

static rune_status decode_root(const cJSON *root, rune_manifest *m, rune_error *err)
{
    if (!cJSON_IsObject(root)) return type_err(err, "(root)", "an object");
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schema");
    uint64_t schema;
    if (!sv) return RUNE_ERR(err, RUNE_E_INVALID, "schema: missing");
    if (!as_uint(sv, 4294967295.0, &schema) || schema == 0)
        return type_err(err, "schema", "a positive integer");
    if (schema > RUNE_MANIFEST_SCHEMA)
        return RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                        "schema: version %llu is newer than this reader (%d)",
                        (unsigned long long)schema, RUNE_MANIFEST_SCHEMA);
    m->schema = (uint32_t)schema;
    rune_status st = get_str(root, "name", "", 1, &m->name, err);
    if (st == RUNE_OK) st = get_str(root, "version", "", 1, &m->version, err);
    if (st == RUNE_OK) st = get_str(root, "base", "", 0, &m->base, err);
    for (int l = RUNE_LIST_CAPABILITIES; st == RUNE_OK && l <= RUNE_LIST_RESOURCES; l++)
        st = decode_list(root, m, (rune_manifest_list)l, err);
    if (st == RUNE_OK) st = decode_pipeline(root, m, err);
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(root, "memory");
    if (st == RUNE_OK && mem && !cJSON_IsNull(mem)) {
        uint64_t minp = 0, maxp = 0;
        if (!cJSON_IsObject(mem)) return type_err(err, "memory", "an object");
        st = get_uint(mem, "min_pages", "memory", 65536, &minp, err);
        if (st == RUNE_OK) st = get_uint(mem, "max_pages", "memory", 65536, &maxp, err);
        if (st == RUNE_OK)
            st = get_uint(mem, "arena_bytes", "memory", 9007199254740992.0, &m->arena_bytes, err);
        m->min_pages = (uint32_t)minp;
        m->max_pages = (uint32_t)maxp;
    }
    if (st == RUNE_OK) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "build");
        st = decode_args(b, "build", &m->build, &m->nbuild, err);
    }
    return st;
}

rune_status rune_manifest_decode(const char *json, size_t len, rune_manifest **out, rune_error *err)
{
    *out = NULL;
    if (!json) return RUNE_ERR(err, RUNE_E_ARG, "manifest: no JSON given");
    rune_json_use_rune_alloc();
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        /* cJSON returns NULL both for bad JSON and for running out of memory */
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return RUNE_ERR(err, RUNE_E_MALFORMED, "manifest: not valid JSON (near byte %zu)", at);
    }
    for (size_t i = (size_t)(end - json); i < len; i++) {
        if (json[i] != ' ' && json[i] != '\n' && json[i] != '\r' && json[i] != '\t') {
            cJSON_Delete(root);
            return RUNE_ERR(err, RUNE_E_MALFORMED, "manifest: trailing bytes after JSON at %zu", i);
        }
    }
    rune_manifest *m = rune_calloc(1, sizeof *m);
    rune_status st =
        m ? decode_root(root, m, err) : RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    cJSON_Delete(root);
    if (st == RUNE_OK) st = rune_manifest_check(m, err);
    if (st != RUNE_OK) {
        rune_manifest_free(m);
        return st;
    }
    *out = m;
    return RUNE_OK;
}

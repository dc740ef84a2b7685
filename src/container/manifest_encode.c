/*
 * manifest_encode.c - rune manifest -> canonical JSON: sorted keys, no whitespace, integers printed
 * by us so cJSON's float formatting never decides the bytes; the same manifest always gives the
 * same bytes. Also holds the table of which fields each stage list carries.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/manifest.h"

const rune_manifest_list_spec rune_manifest_specs[] = {
    [RUNE_LIST_CAPABILITIES] = {"capabilities", "kind", 1, 0, 1, 0},
    [RUNE_LIST_PROC_BLOCKS] = {"proc_blocks", "path", 1, 1, 1, 0},
    [RUNE_LIST_MODELS] = {"models", "format", 0, 1, 1, 1},
    [RUNE_LIST_OUTPUTS] = {"outputs", "kind", 1, 1, 0, 0},
    [RUNE_LIST_RESOURCES] = {"resources", NULL, 0, 0, 0, 1},
};

/* All encode helpers return 0 on out-of-memory, which the caller turns into RUNE_E_NOMEM. */
static int add_uint(cJSON *o, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(o, key, buf) != NULL;
}

static int add_str(cJSON *o, const char *key, const char *v)
{
    return cJSON_AddStringToObject(o, key, v ? v : "") != NULL;
}

static int cmp_arg(const void *a, const void *b)
{
    return strcmp((*(const rune_manifest_arg *const *)a)->key,
                  (*(const rune_manifest_arg *const *)b)->key);
}

static int add_args(cJSON *o, const char *key, const rune_manifest_arg *a, size_t n)
{
    cJSON *obj = cJSON_AddObjectToObject(o, key);
    if (!obj) return 0;
    if (n == 0) return 1;
    const rune_manifest_arg **sorted = rune_malloc_array(n, sizeof *sorted);
    if (!sorted) return 0;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &a[i];
    qsort(sorted, n, sizeof *sorted, cmp_arg);
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = add_str(obj, sorted[i]->key, sorted[i]->value);
    rune_free(sorted);
    return ok;
}

static int add_tensors(cJSON *o, const char *key, const rune_tensor_type *t, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(o, key);
    if (!arr) return 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *to = cJSON_CreateObject();
        if (!to) return 0;
        cJSON_AddItemToArray(arr, to);
        cJSON *sh = cJSON_AddArrayToObject(to, "shape");
        if (!sh) return 0;
        for (uint32_t d = 0; d < t[i].ndims; d++) {
            char buf[16];
            snprintf(buf, sizeof buf, "%u", (unsigned)t[i].dims[d]);
            cJSON *r = cJSON_CreateRaw(buf);
            if (!r) return 0;
            cJSON_AddItemToArray(sh, r);
        }
        if (!add_str(to, "type", rune_dtype_name(t[i].dtype))) return 0;
    }
    return 1;
}

/* Keys in sorted order: args digest format inputs kind name outputs path size. */
static int add_stage(cJSON *arr, const rune_manifest_list_spec *sp, const rune_manifest_stage *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return 0;
    cJSON_AddItemToArray(arr, o);
    int ok = 1;
    if (sp->args) ok = ok && add_args(o, "args", s->args, s->nargs);
    if (sp->blob) ok = ok && add_str(o, "digest", s->digest);
    int kf = sp->kind_field ? sp->kind_field[0] : 0;
    if (kf == 'f') ok = ok && add_str(o, "format", s->kind);
    if (sp->inputs) ok = ok && add_tensors(o, "inputs", s->inputs, s->ninputs);
    if (kf == 'k') ok = ok && add_str(o, "kind", s->kind);
    ok = ok && add_str(o, "name", s->name);
    if (sp->outputs) ok = ok && add_tensors(o, "outputs", s->outputs, s->noutputs);
    if (kf == 'p') ok = ok && add_str(o, "path", s->kind);
    if (sp->blob) ok = ok && add_uint(o, "size", s->size);
    return ok;
}

static int add_list(cJSON *root, const rune_manifest *m, rune_manifest_list l)
{
    const rune_manifest_stage *arr;
    size_t n;
    switch (l) {
    case RUNE_LIST_CAPABILITIES: arr = m->capabilities, n = m->ncapabilities; break;
    case RUNE_LIST_PROC_BLOCKS: arr = m->proc_blocks, n = m->nproc_blocks; break;
    case RUNE_LIST_MODELS: arr = m->models, n = m->nmodels; break;
    case RUNE_LIST_OUTPUTS: arr = m->outputs, n = m->noutputs; break;
    default: arr = m->resources, n = m->nresources; break;
    }
    cJSON *a = cJSON_AddArrayToObject(root, rune_manifest_specs[l].json_name);
    if (!a) return 0;
    for (size_t i = 0; i < n; i++)
        if (!add_stage(a, &rune_manifest_specs[l], &arr[i])) return 0;
    return 1;
}

static int build_tree(cJSON *root, const rune_manifest *m)
{
    /* root keys, sorted: base build capabilities memory models name outputs pipeline proc_blocks
     * resources schema version */
    int ok = 1;
    if (m->base) ok = add_str(root, "base", m->base);
    ok = ok && add_args(root, "build", m->build, m->nbuild);
    ok = ok && add_list(root, m, RUNE_LIST_CAPABILITIES);
    cJSON *mem = ok ? cJSON_AddObjectToObject(root, "memory") : NULL;
    ok = ok && mem && add_uint(mem, "arena_bytes", m->arena_bytes) &&
         add_uint(mem, "max_pages", m->max_pages) && add_uint(mem, "min_pages", m->min_pages);
    ok = ok && add_list(root, m, RUNE_LIST_MODELS);
    ok = ok && add_str(root, "name", m->name);
    ok = ok && add_list(root, m, RUNE_LIST_OUTPUTS);
    cJSON *pl = ok ? cJSON_AddArrayToObject(root, "pipeline") : NULL;
    ok = ok && pl;
    for (size_t i = 0; ok && i < m->npipeline; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = e != NULL;
        if (ok) cJSON_AddItemToArray(pl, e);
        ok = ok && add_str(e, "from", m->pipeline[i].from) &&
             add_uint(e, "from_port", m->pipeline[i].from_port) &&
             add_str(e, "to", m->pipeline[i].to) && add_uint(e, "to_port", m->pipeline[i].to_port);
    }
    ok = ok && add_list(root, m, RUNE_LIST_PROC_BLOCKS);
    ok = ok && add_list(root, m, RUNE_LIST_RESOURCES);
    ok = ok && add_uint(root, "schema", RUNE_MANIFEST_SCHEMA);
    ok = ok && add_str(root, "version", m->version);
    return ok;
}

rune_status rune_manifest_encode(const rune_manifest *m, char **out, size_t *out_len,
                                 rune_error *err)
{
    *out = NULL;
    if (out_len) *out_len = 0;
    rune_status st = rune_manifest_check(m, err);
    if (st != RUNE_OK) return st;
    rune_json_use_rune_alloc();
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    if (root && build_tree(root, m)) text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory while encoding");
    *out = text; /* cJSON allocated it through rune_malloc */
    if (out_len) *out_len = strlen(text);
    return RUNE_OK;
}

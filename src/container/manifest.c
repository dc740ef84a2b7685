/*
 * manifest.c - the rune manifest in memory: builders, the rules every manifest obeys, and freeing.
 * JSON lives in manifest_decode.c and manifest_encode.c. Manifests are small (tens of stages), so
 * lookups are linear.
 */
#include <string.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/manifest.h"

static const char *const dtype_names[RUNE_DTYPE_COUNT] = {"u8",  "i8",  "i16",  "i32", "i64",
                                                          "f32", "f64", "utf8", "u16", "u32"};

const char *rune_dtype_name(rune_dtype t)
{
    return (unsigned)t < RUNE_DTYPE_COUNT ? dtype_names[t] : "?";
}

int rune_dtype_parse(const char *name)
{
    for (int i = 0; name && i < RUNE_DTYPE_COUNT; i++)
        if (strcmp(name, dtype_names[i]) == 0) return i;
    return -1;
}

static void free_args(rune_manifest_arg *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        rune_free(a[i].key);
        rune_free(a[i].value);
    }
    rune_free(a);
}

static void free_stages(rune_manifest_stage *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        rune_free(s[i].name);
        rune_free(s[i].kind);
        free_args(s[i].args, s[i].nargs);
        rune_free(s[i].inputs);
        rune_free(s[i].outputs);
    }
    rune_free(s);
}

void rune_manifest_free(rune_manifest *m)
{
    if (!m) return;
    rune_free(m->name);
    rune_free(m->version);
    rune_free(m->base);
    free_stages(m->capabilities, m->ncapabilities);
    free_stages(m->proc_blocks, m->nproc_blocks);
    free_stages(m->models, m->nmodels);
    free_stages(m->outputs, m->noutputs);
    free_stages(m->resources, m->nresources);
    for (size_t i = 0; m->pipeline && i < m->npipeline; i++) {
        rune_free(m->pipeline[i].from);
        rune_free(m->pipeline[i].to);
    }
    rune_free(m->pipeline);
    free_args(m->build, m->nbuild);
    rune_free(m);
}

rune_status rune_manifest_new(const char *name, const char *version, rune_manifest **out,
                              rune_error *err)
{
    *out = NULL;
    rune_manifest *m = rune_calloc(1, sizeof *m);
    if (!m) return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    m->schema = RUNE_MANIFEST_SCHEMA;
    m->name = rune_strdup(name ? name : "");
    m->version = rune_strdup(version ? version : "");
    if (!m->name || !m->version) {
        rune_manifest_free(m);
        return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    }
    *out = m;
    return RUNE_OK;
}

/* Grow an array by one zeroed element; returns the new element or NULL. */
static void *grow(void **arr, size_t *n, size_t elem)
{
    void *p = rune_realloc_array(*arr, *n + 1, elem);
    if (!p) return NULL;
    *arr = p;
    char *e = (char *)p + *n * elem;
    memset(e, 0, elem);
    (*n)++;
    return e;
}

static void list_of(rune_manifest *m, rune_manifest_list list, rune_manifest_stage ***arr,
                    size_t **n)
{
    switch (list) {
    case RUNE_LIST_CAPABILITIES: *arr = &m->capabilities, *n = &m->ncapabilities; break;
    case RUNE_LIST_PROC_BLOCKS: *arr = &m->proc_blocks, *n = &m->nproc_blocks; break;
    case RUNE_LIST_MODELS: *arr = &m->models, *n = &m->nmodels; break;
    case RUNE_LIST_OUTPUTS: *arr = &m->outputs, *n = &m->noutputs; break;
    default: *arr = &m->resources, *n = &m->nresources; break;
    }
}

rune_status rune_manifest_add_stage(rune_manifest *m, rune_manifest_list list, const char *name,
                                    const char *kind, rune_manifest_stage **out_stage,
                                    rune_error *err)
{
    rune_manifest_stage **arr;
    size_t *n;
    if (!m || !name) return RUNE_ERR(err, RUNE_E_ARG, "manifest: stage needs a name");
    list_of(m, list, &arr, &n);
    char *nm = rune_strdup(name), *kd = kind ? rune_strdup(kind) : NULL;
    rune_manifest_stage *s = (nm && (kd || !kind)) ? grow((void **)arr, n, sizeof **arr) : NULL;
    if (!s) {
        rune_free(nm);
        rune_free(kd);
        return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    }
    s->name = nm;
    s->kind = kd;
    if (out_stage) *out_stage = s;
    return RUNE_OK;
}

static rune_status add_arg(rune_manifest_arg **arr, size_t *n, const char *key, const char *value,
                           rune_error *err)
{
    if (!key || !value) return RUNE_ERR(err, RUNE_E_ARG, "manifest: argument needs key and value");
    char *k = rune_strdup(key), *v = rune_strdup(value);
    rune_manifest_arg *a = (k && v) ? grow((void **)arr, n, sizeof **arr) : NULL;
    if (!a) {
        rune_free(k);
        rune_free(v);
        return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    }
    a->key = k;
    a->value = v;
    return RUNE_OK;
}

rune_status rune_manifest_stage_add_arg(rune_manifest_stage *s, const char *key, const char *value,
                                        rune_error *err)
{
    return add_arg(&s->args, &s->nargs, key, value, err);
}

rune_status rune_manifest_add_build(rune_manifest *m, const char *key, const char *value,
                                    rune_error *err)
{
    return add_arg(&m->build, &m->nbuild, key, value, err);
}

rune_status rune_manifest_stage_add_tensor(rune_manifest_stage *s, int output,
                                           const rune_tensor_type *t, rune_error *err)
{
    rune_tensor_type **arr = output ? &s->outputs : &s->inputs;
    size_t *n = output ? &s->noutputs : &s->ninputs;
    rune_tensor_type *e = grow((void **)arr, n, sizeof **arr);
    if (!e) return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    *e = *t;
    return RUNE_OK;
}

rune_status rune_manifest_add_edge(rune_manifest *m, const char *from, uint32_t from_port,
                                   const char *to, uint32_t to_port, rune_error *err)
{
    if (!from || !to) return RUNE_ERR(err, RUNE_E_ARG, "manifest: edge needs both ends");
    char *f = rune_strdup(from), *t = rune_strdup(to);
    rune_manifest_edge *e = (f && t) ? grow((void **)&m->pipeline, &m->npipeline, sizeof *e) : NULL;
    if (!e) {
        rune_free(f);
        rune_free(t);
        return RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    }
    e->from = f;
    e->from_port = from_port;
    e->to = t;
    e->to_port = to_port;
    return RUNE_OK;
}

rune_manifest_stage *rune_manifest_find(const rune_manifest *m, rune_manifest_list list,
                                        const char *name)
{
    rune_manifest_stage **arr;
    size_t *n;
    if (!m || !name) return NULL;
    list_of((rune_manifest *)m, list, &arr, &n);
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i].name && strcmp((*arr)[i].name, name) == 0) return &(*arr)[i];
    return NULL;
}

static const char *const list_names[] = {"capabilities", "proc_blocks", "models", "outputs",
                                         "resources"};

/* Any stage of the pipeline (not resources) with that name. */
static int stage_exists(const rune_manifest *m, const char *name)
{
    for (int l = RUNE_LIST_CAPABILITIES; l <= RUNE_LIST_OUTPUTS; l++)
        if (rune_manifest_find(m, (rune_manifest_list)l, name)) return 1;
    return 0;
}

static rune_status check_tensors(const rune_tensor_type *t, size_t n, const char *list, size_t i,
                                 const char *which, rune_error *err)
{
    for (size_t k = 0; k < n; k++) {
        if ((unsigned)t[k].dtype >= RUNE_DTYPE_COUNT || t[k].ndims > RUNE_TENSOR_MAX_DIMS)
            return RUNE_ERR(err, RUNE_E_INVALID, "%s[%zu].%s[%zu]: bad tensor type", list, i, which,
                            k);
    }
    return RUNE_OK;
}

rune_status rune_manifest_check(const rune_manifest *m, rune_error *err)
{
    if (!m) return RUNE_ERR(err, RUNE_E_ARG, "manifest: NULL");
    if (!m->name || !m->name[0]) return RUNE_ERR(err, RUNE_E_INVALID, "name: must not be empty");
    if (!m->version || !m->version[0])
        return RUNE_ERR(err, RUNE_E_INVALID, "version: must not be empty");
    for (int l = RUNE_LIST_CAPABILITIES; l <= RUNE_LIST_RESOURCES; l++) {
        rune_manifest_stage **arr;
        size_t *n;
        list_of((rune_manifest *)m, (rune_manifest_list)l, &arr, &n);
        const char *ln = list_names[l];
        if (*n > RUNE_MANIFEST_MAX_STAGES)
            return RUNE_ERR(err, RUNE_E_LIMIT, "%s: more than %d entries", ln,
                            RUNE_MANIFEST_MAX_STAGES);
        for (size_t i = 0; i < *n; i++) {
            const rune_manifest_stage *s = &(*arr)[i];
            if (!s->name || !s->name[0])
                return RUNE_ERR(err, RUNE_E_INVALID, "%s[%zu].name: must not be empty", ln, i);
            if (!rune_utf8_valid((const uint8_t *)s->name, strlen(s->name)))
                return RUNE_ERR(err, RUNE_E_INVALID, "%s[%zu].name: not valid UTF-8", ln, i);
            for (size_t j = 0; j < i; j++)
                if (strcmp((*arr)[j].name, s->name) == 0)
                    return RUNE_ERR(err, RUNE_E_INVALID, "%s[%zu].name: duplicate name '%s'", ln, i,
                                    s->name);
            if ((l == RUNE_LIST_MODELS || l == RUNE_LIST_RESOURCES) && s->digest[0] &&
                !rune_digest_valid(s->digest))
                return RUNE_ERR(err, RUNE_E_INVALID,
                                "%s[%zu].digest: expected \"sha256:\" and 64 hex digits", ln, i);
            if (s->nargs > RUNE_MANIFEST_MAX_ARGS || s->ninputs > RUNE_MANIFEST_MAX_PORTS ||
                s->noutputs > RUNE_MANIFEST_MAX_PORTS)
                return RUNE_ERR(err, RUNE_E_LIMIT, "%s[%zu]: too many args or tensor types", ln, i);
            for (size_t a = 0; a < s->nargs; a++)
                if (!s->args[a].key || !s->args[a].value)
                    return RUNE_ERR(err, RUNE_E_INVALID, "%s[%zu].args: NULL key or value", ln, i);
            rune_status st = check_tensors(s->inputs, s->ninputs, ln, i, "inputs", err);
            if (st == RUNE_OK) st = check_tensors(s->outputs, s->noutputs, ln, i, "outputs", err);
            if (st != RUNE_OK) return st;
        }
    }
    if (m->npipeline > RUNE_MANIFEST_MAX_EDGES || m->nbuild > RUNE_MANIFEST_MAX_ARGS)
        return RUNE_ERR(err, RUNE_E_LIMIT, "pipeline or build: too many entries");
    for (size_t i = 0; i < m->npipeline; i++) {
        const rune_manifest_edge *e = &m->pipeline[i];
        if (!e->from || !stage_exists(m, e->from))
            return RUNE_ERR(err, RUNE_E_INVALID, "pipeline[%zu].from: no stage named '%s'", i,
                            e->from ? e->from : "");
        if (!e->to || !stage_exists(m, e->to))
            return RUNE_ERR(err, RUNE_E_INVALID, "pipeline[%zu].to: no stage named '%s'", i,
                            e->to ? e->to : "");
    }
    for (size_t i = 0; i < m->nbuild; i++)
        if (!m->build[i].key || !m->build[i].value)
            return RUNE_ERR(err, RUNE_E_INVALID, "build: NULL key or value");
    return RUNE_OK;
}

/*
 * container_write.c - assemble a .rune: the wasm module, then rune.manifest, rune.model.*,
 * rune.resource.* custom sections (layout in rune/container.h). Output is built in one allocation
 * sized up front; models are a few MiB at most, so the whole rune lives in memory.
 */
#include <string.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/container.h"

/* The given blob named name, checking the blob list has no duplicates and nothing unlisted. */
static rune_status match_blobs(rune_manifest_stage *stages, size_t nstages, const rune_blob *blobs,
                               size_t nblobs, const char *what, const rune_blob **order,
                               rune_error *err)
{
    for (size_t i = 0; i < nblobs; i++) {
        if (!blobs[i].name || !blobs[i].name[0])
            return RUNE_ERR(err, RUNE_E_ARG, "rune: %s #%zu has no name", what, i);
        if (!blobs[i].data && blobs[i].len)
            return RUNE_ERR(err, RUNE_E_ARG, "rune: %s '%s' has no bytes", what, blobs[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(blobs[j].name, blobs[i].name) == 0)
                return RUNE_ERR(err, RUNE_E_ARG, "rune: %s '%s' given twice", what, blobs[i].name);
        size_t k = 0;
        while (k < nstages && strcmp(stages[k].name, blobs[i].name) != 0)
            k++;
        if (k == nstages)
            return RUNE_ERR(err, RUNE_E_ARG, "rune: %s '%s' is not in the manifest", what,
                            blobs[i].name);
        order[k] = &blobs[i];
    }
    for (size_t k = 0; k < nstages; k++)
        if (!order[k])
            return RUNE_ERR(err, RUNE_E_ARG, "rune: manifest %s '%s' has no bytes given", what,
                            stages[k].name);
    for (size_t k = 0; k < nstages; k++) {
        rune_digest_str(order[k]->data ? order[k]->data : (const uint8_t *)"", order[k]->len,
                        stages[k].digest);
        stages[k].size = order[k]->len;
    }
    return RUNE_OK;
}

/* Add a section's size to *total; 0 on overflow. */
static int add_sec(size_t *total, const char *prefix, const char *name, size_t payload_len)
{
    size_t n = rune_sec_size(strlen(prefix) + strlen(name), payload_len);
    return n && !rune_add_overflow(*total, n, total);
}

/* Names are at most 255 bytes (checked by the caller), so prefix + name always fits buf. */
static uint8_t *put_named(uint8_t *p, const char *prefix, const char *name, const uint8_t *data,
                          size_t len)
{
    char buf[320];
    size_t pl = strlen(prefix), nl = strlen(name);
    memcpy(buf, prefix, pl);
    memcpy(buf + pl, name, nl);
    return rune_sec_put(p, buf, pl + nl, data, len);
}

rune_status rune_container_write(const uint8_t *wasm, size_t wasm_len, rune_manifest *m,
                                 const rune_blob *models, size_t nmodels,
                                 const rune_blob *resources, size_t nresources, uint8_t **out,
                                 size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!wasm || !m) return RUNE_ERR(err, RUNE_E_ARG, "rune: wasm module and manifest required");
    rune_status st = rune_sec_header(wasm, wasm_len, err);
    size_t pos = 8;
    rune_sec s;
    while (st == RUNE_OK && (st = rune_sec_next(wasm, wasm_len, &pos, &s, err)) == RUNE_OK) {
        const uint8_t *rest;
        size_t rl;
        if (rune_sec_has_prefix(&s, "rune.", &rest, &rl))
            st = RUNE_ERR(err, RUNE_E_ARG,
                          "rune: the module already has a '%.*s' section (already a rune?)",
                          (int)s.name_len, (const char *)s.name);
    }
    if (st != RUNE_E_NOT_FOUND) return st;
    if ((st = rune_manifest_check(m, err)) != RUNE_OK) return st;
    for (size_t i = 0; i < m->nmodels + m->nresources; i++) {
        const char *nm = i < m->nmodels ? m->models[i].name : m->resources[i - m->nmodels].name;
        if (strlen(nm) > 255)
            return RUNE_ERR(err, RUNE_E_ARG, "rune: name '%.40s...' longer than 255 bytes", nm);
    }

    const rune_blob **order = rune_calloc(m->nmodels + m->nresources + 1, sizeof *order);
    char *json = NULL;
    size_t json_len = 0;
    uint8_t *buf = NULL;
    if (!order) return RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory");
    st = match_blobs(m->models, m->nmodels, models, nmodels, "model", order, err);
    if (st == RUNE_OK)
        st = match_blobs(m->resources, m->nresources, resources, nresources, "resource",
                         order + m->nmodels, err);
    if (st == RUNE_OK) st = rune_manifest_encode(m, &json, &json_len, err);
    if (st != RUNE_OK) goto done;

    size_t total = wasm_len;
    int ok = add_sec(&total, RUNE_SECTION_MANIFEST, "", json_len);
    for (size_t i = 0; ok && i < m->nmodels; i++)
        ok = add_sec(&total, RUNE_SECTION_MODEL_PREFIX, m->models[i].name, order[i]->len);
    for (size_t i = 0; ok && i < m->nresources; i++)
        ok = add_sec(&total, RUNE_SECTION_RESOURCE_PREFIX, m->resources[i].name,
                     order[m->nmodels + i]->len);
    if (!ok) {
        st = RUNE_ERR(err, RUNE_E_LIMIT, "rune: a section is larger than 4 GiB");
        goto done;
    }
    buf = rune_malloc(total);
    if (!buf) {
        st = RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory for %zu bytes", total);
        goto done;
    }
    memcpy(buf, wasm, wasm_len);
    uint8_t *p = buf + wasm_len;
    p = put_named(p, RUNE_SECTION_MANIFEST, "", (const uint8_t *)json, json_len);
    for (size_t i = 0; i < m->nmodels; i++)
        p = put_named(p, RUNE_SECTION_MODEL_PREFIX, m->models[i].name, order[i]->data,
                      order[i]->len);
    for (size_t i = 0; i < m->nresources; i++)
        p = put_named(p, RUNE_SECTION_RESOURCE_PREFIX, m->resources[i].name,
                      order[m->nmodels + i]->data, order[m->nmodels + i]->len);
    if ((size_t)(p - buf) != total) {
        st = RUNE_ERR(err, RUNE_E_INTERNAL, "rune: section size mismatch while writing");
        goto done;
    }
    *out = buf;
    *out_len = total;
    buf = NULL;
done:
    rune_free(buf);
    rune_free(json);
    rune_free(order);
    return st;
}

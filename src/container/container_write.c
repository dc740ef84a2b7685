/*
 * container_write.c - assemble a .rune: the wasm module, then rune.manifest, rune.model.*,
 * rune.resource.* custom sections (layout in rune/container.h), each model and resource payload at
 * a multiple of 16 bytes in the file (a rune.pad section before it when needed). Output is built in
 * one allocation sized up front; models are a few MiB at most, so the whole rune lives in memory.
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

/* The smallest rune.pad section: id, size, name length (one byte each) and the name. */
#define PAD_MIN (3 + sizeof RUNE_SECTION_PAD - 1)

/*
 * Bytes of rune.pad to put at file offset `at` so that the payload of the section that follows it
 * (hdr bytes of id, sizes and name) starts at a multiple of RUNE_CONTAINER_ALIGN: 0, or PAD_MIN to
 * PAD_MIN + RUNE_CONTAINER_ALIGN - 1.
 */
static size_t pad_before(size_t at, size_t hdr)
{
    size_t need = (RUNE_CONTAINER_ALIGN - (at + hdr) % RUNE_CONTAINER_ALIGN) % RUNE_CONTAINER_ALIGN;
    if (need == 0) return 0;
    return need < PAD_MIN ? need + RUNE_CONTAINER_ALIGN : need;
}

/* Add a section's size to *total, after the padding that aligns its payload when align is set;
 * 0 on overflow. */
static int add_sec(size_t *total, const char *prefix, const char *name, size_t payload_len,
                   int align)
{
    size_t n = rune_sec_size(strlen(prefix) + strlen(name), payload_len);
    if (!n) return 0;
    size_t pad = align ? pad_before(*total, n - payload_len) : 0;
    return !rune_add_overflow(*total, pad, total) && !rune_add_overflow(*total, n, total);
}

/* A rune.pad section of n bytes (0, or PAD_MIN..255) at p, its payload zeros. */
static uint8_t *put_pad(uint8_t *p, size_t n)
{
    if (n == 0) return p;
    p[0] = 0;
    p[1] = (uint8_t)(n - 2); /* < 128: a one-byte LEB128 */
    p[2] = (uint8_t)(PAD_MIN - 3);
    memcpy(p + 3, RUNE_SECTION_PAD, PAD_MIN - 3);
    memset(p + PAD_MIN, 0, n - PAD_MIN);
    return p + n;
}

/* Names are at most 255 bytes (checked by the caller), so prefix + name always fits buf. With
 * align, a rune.pad section first puts the payload at a multiple of RUNE_CONTAINER_ALIGN in the
 * file (base is the file's first byte). */
static uint8_t *put_named(uint8_t *base, uint8_t *p, const char *prefix, const char *name,
                          const uint8_t *data, size_t len, int align)
{
    char buf[320];
    size_t pl = strlen(prefix), nl = strlen(name);
    if (align) p = put_pad(p, pad_before((size_t)(p - base), rune_sec_size(pl + nl, len) - len));
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
    int ok = add_sec(&total, RUNE_SECTION_MANIFEST, "", json_len, 0);
    for (size_t i = 0; ok && i < m->nmodels; i++)
        ok = add_sec(&total, RUNE_SECTION_MODEL_PREFIX, m->models[i].name, order[i]->len, 1);
    for (size_t i = 0; ok && i < m->nresources; i++)
        ok = add_sec(&total, RUNE_SECTION_RESOURCE_PREFIX, m->resources[i].name,
                     order[m->nmodels + i]->len, 1);
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
    p = put_named(buf, p, RUNE_SECTION_MANIFEST, "", (const uint8_t *)json, json_len, 0);
    for (size_t i = 0; i < m->nmodels; i++)
        p = put_named(buf, p, RUNE_SECTION_MODEL_PREFIX, m->models[i].name, order[i]->data,
                      order[i]->len, 1);
    for (size_t i = 0; i < m->nresources; i++)
        p = put_named(buf, p, RUNE_SECTION_RESOURCE_PREFIX, m->resources[i].name,
                      order[m->nmodels + i]->data, order[m->nmodels + i]->len, 1);
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

/*
 * container_read.c - open a .rune: walk its sections with bounds checks, decode the manifest, match
 * and verify every model and resource section against it, compute the rune digest (definition in
 * rune/container.h). Input is untrusted (downloads, devices): every length is checked before use
 * and nothing is copied but names.
 */
#include <sodium.h>
#include <string.h>

#include "container_int.h"
#include "rune/alloc.h"
#include "rune/container.h"

rune_status rune_container_digest(const uint8_t *bytes, size_t len, uint8_t digest[32],
                                  const uint8_t **sig, size_t *sig_len, size_t *sig_off,
                                  size_t *sig_size, rune_error *err)
{
    if (!bytes) return RUNE_ERR(err, RUNE_E_ARG, "rune: no bytes");
    rune_status st = rune_sec_header(bytes, len, err);
    if (st != RUNE_OK) return st;
    size_t pos = 8, soff = 0, ssize = 0;
    const uint8_t *spay = NULL;
    size_t splen = 0;
    int found = 0;
    rune_sec s;
    while ((st = rune_sec_next(bytes, len, &pos, &s, err)) == RUNE_OK) {
        if (!rune_sec_is(&s, RUNE_SECTION_SIGNATURE)) continue;
        if (found)
            return RUNE_ERR(err, RUNE_E_MALFORMED,
                            "rune: two rune.signature sections (offsets "
                            "%zu and %zu)",
                            soff, s.offset);
        found = 1;
        soff = s.offset;
        ssize = s.size;
        spay = s.payload;
        splen = s.payload_len;
    }
    if (st != RUNE_E_NOT_FOUND) return st;
    if (digest) {
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        if (found) {
            crypto_hash_sha256_update(&h, bytes, soff);
            crypto_hash_sha256_update(&h, bytes + soff + ssize, len - soff - ssize);
        } else {
            crypto_hash_sha256_update(&h, bytes, len);
        }
        crypto_hash_sha256_final(&h, digest);
    }
    if (sig) *sig = spay;
    if (sig_len) *sig_len = splen;
    if (sig_off) *sig_off = soff;
    if (sig_size) *sig_size = ssize;
    return RUNE_OK;
}

void rune_container_free(rune_container *c)
{
    if (!c) return;
    rune_manifest_free(c->manifest);
    for (size_t i = 0; c->models && i < c->nmodels; i++)
        rune_free((char *)c->models[i].name);
    for (size_t i = 0; c->resources && i < c->nresources; i++)
        rune_free((char *)c->resources[i].name);
    rune_free(c->models);
    rune_free(c->resources);
    rune_free(c);
}

/* Record a rune.model./rune.resource. section in the slot of its manifest entry. */
static rune_status place(rune_blob *slots, const rune_manifest_stage *stages, size_t n,
                         const char *what, const rune_sec *s, const uint8_t *name, size_t nlen,
                         rune_error *err)
{
    if (nlen == 0)
        return RUNE_ERR(err, RUNE_E_MALFORMED, "rune: %s section at offset %zu has an empty name",
                        what, s->offset);
    for (size_t i = 0; i < n; i++) {
        if (strlen(stages[i].name) != nlen || memcmp(stages[i].name, name, nlen) != 0) continue;
        if (slots[i].name)
            return RUNE_ERR(err, RUNE_E_MALFORMED, "rune: %s '%s' appears twice", what,
                            stages[i].name);
        slots[i].name = rune_strdup(stages[i].name);
        if (!slots[i].name) return RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory");
        slots[i].data = s->payload;
        slots[i].len = s->payload_len;
        return RUNE_OK;
    }
    return RUNE_ERR(err, RUNE_E_INVALID, "rune: %s '%.*s' is not in the manifest", what, (int)nlen,
                    (const char *)name);
}

static rune_status verify_blobs(const rune_blob *slots, const rune_manifest_stage *stages, size_t n,
                                const char *what, rune_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!slots[i].name)
            return RUNE_ERR(err, RUNE_E_INVALID,
                            "rune: %s '%s' is in the manifest but has no "
                            "section",
                            what, stages[i].name);
        if (!stages[i].digest[0])
            return RUNE_ERR(err, RUNE_E_INVALID, "rune: %s '%s': the manifest has no digest", what,
                            stages[i].name);
        char d[RUNE_DIGEST_STR_LEN];
        rune_digest_str(slots[i].data, slots[i].len, d);
        if (strcmp(d, stages[i].digest) != 0)
            return RUNE_ERR(err, RUNE_E_VERIFY,
                            "%s '%s': digest mismatch (manifest %.19s..., "
                            "section %.19s...)",
                            what, stages[i].name, stages[i].digest, d);
        if (stages[i].size != slots[i].len)
            return RUNE_ERR(err, RUNE_E_VERIFY,
                            "%s '%s': size mismatch (manifest %llu, section "
                            "%zu)",
                            what, stages[i].name, (unsigned long long)stages[i].size, slots[i].len);
    }
    return RUNE_OK;
}

static rune_status open_into(rune_container *c, rune_error *err)
{
    uint8_t raw[32];
    rune_status st = rune_container_digest(c->bytes, c->len, raw, &c->signature, &c->signature_len,
                                           &c->signature_offset, &c->signature_size, err);
    if (st != RUNE_OK) return st;
    if (c->signature_size == 0) c->signature = NULL;
    rune_digest_fmt(raw, c->digest);

    /* pass 1: the manifest */
    size_t pos = 8;
    rune_sec s;
    while ((st = rune_sec_next(c->bytes, c->len, &pos, &s, err)) == RUNE_OK) {
        if (!rune_sec_is(&s, RUNE_SECTION_MANIFEST)) continue;
        if (c->manifest_json)
            return RUNE_ERR(err, RUNE_E_MALFORMED, "rune: two rune.manifest sections");
        c->manifest_json = (const char *)s.payload;
        c->manifest_json_len = s.payload_len;
    }
    if (st != RUNE_E_NOT_FOUND) return st;
    if (!c->manifest_json) return RUNE_ERR(err, RUNE_E_INVALID, "rune: no rune.manifest section");
    st = rune_manifest_decode(c->manifest_json, c->manifest_json_len, &c->manifest, err);
    if (st != RUNE_OK) return rune_error_prefix(err, "rune.manifest");
    const rune_manifest *m = c->manifest;

    /* pass 2: models and resources into manifest order */
    c->models = rune_calloc(m->nmodels + 1, sizeof *c->models);
    c->resources = rune_calloc(m->nresources + 1, sizeof *c->resources);
    if (!c->models || !c->resources) return RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory");
    c->nmodels = m->nmodels;
    c->nresources = m->nresources;
    pos = 8;
    while ((st = rune_sec_next(c->bytes, c->len, &pos, &s, err)) == RUNE_OK) {
        const uint8_t *rest;
        size_t rl;
        if (rune_sec_has_prefix(&s, RUNE_SECTION_MODEL_PREFIX, &rest, &rl))
            st = place(c->models, m->models, m->nmodels, "model", &s, rest, rl, err);
        else if (rune_sec_has_prefix(&s, RUNE_SECTION_RESOURCE_PREFIX, &rest, &rl))
            st = place(c->resources, m->resources, m->nresources, "resource", &s, rest, rl, err);
        if (st != RUNE_OK) return st;
    }
    if (st != RUNE_E_NOT_FOUND) return st;
    st = verify_blobs(c->models, m->models, m->nmodels, "model", err);
    if (st == RUNE_OK)
        st = verify_blobs(c->resources, m->resources, m->nresources, "resource", err);
    return st;
}

rune_status rune_container_open(const uint8_t *bytes, size_t len, rune_container **out,
                                rune_error *err)
{
    *out = NULL;
    if (!bytes) return RUNE_ERR(err, RUNE_E_ARG, "rune: no bytes");
    rune_container *c = rune_calloc(1, sizeof *c);
    if (!c) return RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory");
    c->bytes = bytes;
    c->len = len;
    rune_status st = open_into(c, err);
    if (st != RUNE_OK) {
        rune_container_free(c);
        return st;
    }
    *out = c;
    return RUNE_OK;
}

static const rune_blob *find_blob(const rune_blob *b, size_t n, const char *name)
{
    for (size_t i = 0; b && name && i < n; i++)
        if (b[i].name && strcmp(b[i].name, name) == 0) return &b[i];
    return NULL;
}

const rune_blob *rune_container_model(const rune_container *c, const char *name)
{
    return c ? find_blob(c->models, c->nmodels, name) : NULL;
}

const rune_blob *rune_container_resource(const rune_container *c, const char *name)
{
    return c ? find_blob(c->resources, c->nresources, name) : NULL;
}

rune_status rune_container_replace_signature(const uint8_t *bytes, size_t len,
                                             const uint8_t *payload, size_t payload_len,
                                             uint8_t **out, size_t *out_len, rune_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t off = 0, size = 0;
    const uint8_t *old;
    size_t old_len;
    rune_status st = rune_container_digest(bytes, len, NULL, &old, &old_len, &off, &size, err);
    if (st != RUNE_OK) return st;
    size_t add = 0, total = len - size;
    if (payload) {
        add = rune_sec_size(strlen(RUNE_SECTION_SIGNATURE), payload_len);
        if (!add || rune_add_overflow(total, add, &total))
            return RUNE_ERR(err, RUNE_E_LIMIT, "rune: signature too large");
    }
    uint8_t *buf = rune_malloc(total);
    if (!buf) return RUNE_ERR(err, RUNE_E_NOMEM, "rune: out of memory");
    if (size) {
        memcpy(buf, bytes, off);
        memcpy(buf + off, bytes + off + size, len - off - size);
    } else {
        memcpy(buf, bytes, len);
    }
    if (payload)
        rune_sec_put(buf + len - size, RUNE_SECTION_SIGNATURE, strlen(RUNE_SECTION_SIGNATURE),
                     payload, payload_len);
    *out = buf;
    *out_len = total;
    return RUNE_OK;
}

/*
 * oci_json.c - OCI image manifests and indexes: strict readers for what registries and index.json
 * hand us (untrusted, fuzzed), and canonical writers (sorted keys, integers printed by us) for the
 * documents we create, so the same rune always gives the same manifest digest.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../container/container_int.h"
#include "registry_int.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/registry.h"

/* ---- readers -------------------------------------------------------------------------------- */

static rune_status opt_str(const cJSON *o, const char *key, const char *path, char **out,
                           rune_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) return RUNE_OK;
    if (!cJSON_IsString(v))
        return RUNE_ERR(err, RUNE_E_INVALID, "%s.%s: expected a string", path, key);
    *out = rune_strdup(v->valuestring);
    return *out ? RUNE_OK : RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", path);
}

static rune_status parse_desc(const cJSON *o, const char *path, rune_oci_desc *d, rune_error *err)
{
    if (!cJSON_IsObject(o)) return RUNE_ERR(err, RUNE_E_INVALID, "%s: expected an object", path);
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(o, "digest");
    if (!cJSON_IsString(dg) || !rune_digest_valid(dg->valuestring))
        return RUNE_ERR(err, RUNE_E_INVALID, "%s.digest: expected \"sha256:<64 hex>\"", path);
    memcpy(d->digest, dg->valuestring, RUNE_DIGEST_STR_LEN);
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "size");
    if (!cJSON_IsNumber(sz) || !(sz->valuedouble >= 0) || sz->valuedouble > 9007199254740992.0 ||
        floor(sz->valuedouble) != sz->valuedouble)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s.size: expected a non-negative integer", path);
    d->size = (uint64_t)sz->valuedouble;
    rune_status st = opt_str(o, "mediaType", path, &d->media_type, err);
    if (st == RUNE_OK) st = opt_str(o, "artifactType", path, &d->artifact_type, err);
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(o, "annotations");
    if (st == RUNE_OK && an && !cJSON_IsNull(an)) {
        if (!cJSON_IsObject(an))
            return RUNE_ERR(err, RUNE_E_INVALID, "%s.annotations: expected an object", path);
        char p[128];
        snprintf(p, sizeof p, "%.100s.annotations", path);
        st = opt_str(an, RUNE_ANNOT_REF_NAME, p, &d->ref_name, err);
    }
    return st;
}

static void desc_clear(rune_oci_desc *d)
{
    rune_free(d->media_type);
    rune_free(d->ref_name);
    rune_free(d->artifact_type);
    memset(d, 0, sizeof *d);
}

void rune_oci_descs_free(rune_oci_desc *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++)
        desc_clear(&d[i]);
    rune_free(d);
}

void rune_oci_manifest_free(rune_oci_manifest *m)
{
    if (!m) return;
    rune_free(m->media_type);
    rune_free(m->artifact_type);
    desc_clear(&m->config);
    rune_oci_descs_free(m->layers, m->nlayers);
    desc_clear(&m->subject);
    rune_free(m->rune_manifest);
    rune_free(m->rune_digest);
    rune_free(m);
}

static rune_status parse_descs(const cJSON *arr, const char *what, rune_oci_desc **out, size_t *n,
                               rune_error *err)
{
    if (!cJSON_IsArray(arr)) return RUNE_ERR(err, RUNE_E_INVALID, "%s: expected an array", what);
    int count = cJSON_GetArraySize(arr);
    *out = rune_calloc((size_t)count + 1, sizeof **out);
    if (!*out) return RUNE_ERR(err, RUNE_E_NOMEM, "%s: out of memory", what);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        char p[64];
        snprintf(p, sizeof p, "%s[%zu]", what, *n);
        rune_status st = parse_desc(o, p, &(*out)[(*n)++], err);
        if (st != RUNE_OK) return st;
    }
    return RUNE_OK;
}

static cJSON *parse_root(const char *json, size_t len, const char *what, rune_error *err)
{
    rune_json_use_rune_alloc();
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        RUNE_ERR(err, RUNE_E_MALFORMED, "%s: not valid JSON", what);
    else if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = NULL;
        RUNE_ERR(err, RUNE_E_INVALID, "%s: expected a JSON object", what);
    }
    return root;
}

static rune_status check_schema(const cJSON *root, const char *what, rune_error *err)
{
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
    if (!cJSON_IsNumber(sv) || sv->valuedouble != 2)
        return RUNE_ERR(err, RUNE_E_INVALID, "%s.schemaVersion: expected 2", what);
    return RUNE_OK;
}

rune_status rune_oci_manifest_parse(const char *json, size_t len, rune_oci_manifest **out,
                                    rune_error *err)
{
    *out = NULL;
    cJSON *root = parse_root(json, len, "manifest", err);
    if (!root) return err ? err->status : RUNE_E_MALFORMED;
    rune_oci_manifest *m = rune_calloc(1, sizeof *m);
    rune_status st = m ? check_schema(root, "manifest", err)
                       : RUNE_ERR(err, RUNE_E_NOMEM, "manifest: out of memory");
    if (st == RUNE_OK) st = opt_str(root, "mediaType", "manifest", &m->media_type, err);
    if (st == RUNE_OK && m->media_type && strcmp(m->media_type, RUNE_OCI_MANIFEST_TYPE) != 0)
        st = RUNE_ERR(err, RUNE_E_UNSUPPORTED,
                      "manifest: media type '%.80s' is not an OCI image "
                      "manifest",
                      m->media_type);
    if (st == RUNE_OK) st = opt_str(root, "artifactType", "manifest", &m->artifact_type, err);
    if (st == RUNE_OK)
        st = parse_desc(cJSON_GetObjectItemCaseSensitive(root, "config"), "manifest.config",
                        &m->config, err);
    if (st == RUNE_OK)
        st = parse_descs(cJSON_GetObjectItemCaseSensitive(root, "layers"), "manifest.layers",
                         &m->layers, &m->nlayers, err);
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(root, "subject");
    if (st == RUNE_OK && sub && !cJSON_IsNull(sub)) {
        m->has_subject = 1;
        st = parse_desc(sub, "manifest.subject", &m->subject, err);
    }
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    if (st == RUNE_OK && an && !cJSON_IsNull(an)) {
        if (!cJSON_IsObject(an))
            st = RUNE_ERR(err, RUNE_E_INVALID, "manifest.annotations: expected an object");
        if (st == RUNE_OK)
            st = opt_str(an, RUNE_ANNOT_MANIFEST, "manifest.annotations", &m->rune_manifest, err);
        if (st == RUNE_OK)
            st = opt_str(an, RUNE_ANNOT_RUNE_DIGEST, "manifest.annotations", &m->rune_digest, err);
    }
    cJSON_Delete(root);
    if (st != RUNE_OK) {
        rune_oci_manifest_free(m);
        return st;
    }
    *out = m;
    return RUNE_OK;
}

rune_status rune_oci_index_parse(const char *json, size_t len, rune_oci_desc **out, size_t *n,
                                 rune_error *err)
{
    *out = NULL;
    *n = 0;
    cJSON *root = parse_root(json, len, "index", err);
    if (!root) return err ? err->status : RUNE_E_MALFORMED;
    rune_status st = check_schema(root, "index", err);
    if (st == RUNE_OK)
        st = parse_descs(cJSON_GetObjectItemCaseSensitive(root, "manifests"), "index.manifests",
                         out, n, err);
    cJSON_Delete(root);
    if (st != RUNE_OK) {
        rune_oci_descs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* ---- writers -------------------------------------------------------------------------------- */

static int add_uint(cJSON *o, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(o, key, buf) != NULL;
}

/* Descriptor keys in sorted order: annotations, artifactType, digest, mediaType, size. */
static cJSON *desc_json(const char *media_type, const char *digest, uint64_t size,
                        const char *annot_key, const char *annot_val, const char *artifact_type)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (ok && annot_key) {
        cJSON *a = cJSON_AddObjectToObject(o, "annotations");
        ok = a && cJSON_AddStringToObject(a, annot_key, annot_val);
    }
    if (ok && artifact_type) ok = cJSON_AddStringToObject(o, "artifactType", artifact_type) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "digest", digest) &&
         cJSON_AddStringToObject(o, "mediaType", media_type) && add_uint(o, "size", size);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Attach item under key (or to an array when key is NULL); on failure item is freed. */
static int put(cJSON *parent, const char *key, cJSON *item)
{
    if (!item) return 0;
    int ok = parent &&
             (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item));
    if (!ok) cJSON_Delete(item);
    return ok;
}

static rune_status finish(cJSON *root, int ok, char **out, size_t *out_len, rune_error *err)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return RUNE_ERR(err, RUNE_E_NOMEM, "oci: out of memory while writing JSON");
    *out = text;
    *out_len = strlen(text);
    return RUNE_OK;
}

rune_status rune_oci_rune_manifest(const uint8_t *rune, size_t len, char **config,
                                   size_t *config_len, char **manifest, size_t *manifest_len,
                                   rune_error *err)
{
    *config = *manifest = NULL;
    rune_container *c;
    rune_status st = rune_container_open(rune, len, &c, err);
    if (st != RUNE_OK) return st;
    rune_json_use_rune_alloc();
    char layer_digest[RUNE_DIGEST_STR_LEN], config_digest[RUNE_DIGEST_STR_LEN], title[300];
    rune_digest_str(rune, len, layer_digest);
    snprintf(title, sizeof title, "%.250s.rune", c->manifest->name);

    /* config: {"architecture":"wasm","layerDigests":[...],"os":"wasip1"} */
    cJSON *cfg = cJSON_CreateObject(), *ld = NULL;
    int ok = cfg && cJSON_AddStringToObject(cfg, "architecture", "wasm") &&
             (ld = cJSON_AddArrayToObject(cfg, "layerDigests")) != NULL;
    cJSON *s = ok ? cJSON_CreateString(layer_digest) : NULL;
    ok = ok && put(ld, NULL, s) && cJSON_AddStringToObject(cfg, "os", "wasip1");
    st = finish(cfg, ok, config, config_len, err);
    if (st != RUNE_OK) goto done;
    rune_digest_str(*config, *config_len, config_digest);

    /* manifest keys sorted: annotations config layers mediaType schemaVersion */
    cJSON *root = cJSON_CreateObject(), *an = NULL, *layers = NULL;
    char *mjson = rune_strndup(c->manifest_json, c->manifest_json_len);
    ok = root && mjson && (an = cJSON_AddObjectToObject(root, "annotations")) != NULL;
    ok = ok && cJSON_AddStringToObject(an, "org.opencontainers.image.title", title) &&
         cJSON_AddStringToObject(an, "org.opencontainers.image.version", c->manifest->version) &&
         cJSON_AddStringToObject(an, RUNE_ANNOT_MANIFEST, mjson) &&
         cJSON_AddStringToObject(an, RUNE_ANNOT_RUNE_DIGEST, c->digest);
    rune_free(mjson);
    ok = ok && put(root, "config",
                   desc_json(RUNE_WASM_CONFIG_TYPE, config_digest, *config_len, NULL, NULL, NULL));
    ok = ok && (layers = cJSON_AddArrayToObject(root, "layers")) != NULL;
    ok = ok && put(layers, NULL,
                   desc_json(RUNE_WASM_LAYER_TYPE, layer_digest, len,
                             "org.opencontainers.image.title", title, NULL));
    ok = ok && cJSON_AddStringToObject(root, "mediaType", RUNE_OCI_MANIFEST_TYPE) &&
         add_uint(root, "schemaVersion", 2);
    st = finish(root, ok, manifest, manifest_len, err);
    if (st != RUNE_OK) {
        rune_free(*config);
        *config = NULL;
    }
done:
    rune_container_free(c);
    return st;
}

rune_status rune_oci_signature_manifest(const char *subject_digest, size_t subject_size,
                                        const char *sig_digest, size_t sig_len, char **out,
                                        size_t *out_len, rune_error *err)
{
    rune_json_use_rune_alloc();
    /* keys sorted: artifactType config layers mediaType schemaVersion subject */
    cJSON *root = cJSON_CreateObject(), *layers = NULL;
    int ok = root && cJSON_AddStringToObject(root, "artifactType", RUNE_SIGNATURE_ARTIFACT_TYPE);
    ok = ok && put(root, "config",
                   desc_json(RUNE_OCI_EMPTY_TYPE, RUNE_OCI_EMPTY_DIGEST, 2, NULL, NULL, NULL));
    ok = ok && (layers = cJSON_AddArrayToObject(root, "layers")) != NULL;
    ok = ok && put(layers, NULL,
                   desc_json(RUNE_SIGNATURE_ARTIFACT_TYPE, sig_digest, sig_len, NULL, NULL, NULL));
    ok = ok && cJSON_AddStringToObject(root, "mediaType", RUNE_OCI_MANIFEST_TYPE) &&
         add_uint(root, "schemaVersion", 2);
    ok = ok &&
         put(root, "subject",
             desc_json(RUNE_OCI_MANIFEST_TYPE, subject_digest, subject_size, NULL, NULL, NULL));
    return finish(root, ok, out, out_len, err);
}

rune_status rune_oci_index_build(const rune_oci_desc *d, size_t n, char **out, size_t *out_len,
                                 rune_error *err)
{
    rune_json_use_rune_alloc();
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    int ok = root && (arr = cJSON_AddArrayToObject(root, "manifests")) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = put(arr, NULL,
                 desc_json(d[i].media_type ? d[i].media_type : RUNE_OCI_MANIFEST_TYPE, d[i].digest,
                           d[i].size, d[i].ref_name ? RUNE_ANNOT_REF_NAME : NULL, d[i].ref_name,
                           d[i].artifact_type));
    }
    ok = ok && cJSON_AddStringToObject(root, "mediaType", RUNE_OCI_INDEX_TYPE) &&
         add_uint(root, "schemaVersion", 2);
    return finish(root, ok, out, out_len, err);
}

/*
 * client.c - the OCI Distribution client: open/close, push and pull (protocol summary in
 * rune/registry.h). Workload: a rune of a few MiB and two small blobs per push; blobs are sent in
 * PATCH chunks so large models stream through bounded requests. Tags: client_tags.c; signature
 * referrers: client_referrers.c.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../container/container_int.h"
#include "http_int.h"
#include "registry_int.h"
#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/registry.h"

rune_status rune_registry_open(const char *host, const rune_registry_opts *opts,
                               rune_registry **out, rune_error *err)
{
    *out = NULL;
    static int curl_ready = 0;
    if (!host || !host[0] || strlen(host) > 255 || strchr(host, '/'))
        return RUNE_ERR(err, RUNE_E_ARG, "registry: bad host '%.80s' (want HOST[:PORT])",
                        host ? host : "");
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
            return RUNE_ERR(err, RUNE_E_INTERNAL, "registry: libcurl failed to start");
        curl_ready = 1;
    }
    rune_registry *r = rune_calloc(1, sizeof *r);
    if (!r) return RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
    r->http.curl = curl_easy_init();
    if (opts && opts->username) {
        r->username = rune_strdup(opts->username);
        r->password = rune_strdup(opts->password ? opts->password : "");
    }
    if (!r->http.curl || (opts && opts->username && (!r->username || !r->password))) {
        rune_registry_close(r);
        return RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
    }
    r->http.username = r->username;
    r->http.password = r->password;
    r->http.insecure = opts ? opts->insecure_tls : 0;
    r->http.timeout = opts && opts->timeout_seconds ? opts->timeout_seconds : 60;
    r->chunk = opts && opts->chunk_size ? opts->chunk_size : (size_t)1 << 20;
    r->progress = opts ? opts->progress : NULL;
    r->progress_user = opts ? opts->progress_user : NULL;
    snprintf(r->base, sizeof r->base, "%s://%s", opts && opts->plain_http ? "http" : "https", host);
    *out = r;
    return RUNE_OK;
}

void rune_registry_close(rune_registry *r)
{
    if (!r) return;
    if (r->http.curl) curl_easy_cleanup(r->http.curl);
    if (r->password) memset(r->password, 0, strlen(r->password));
    rune_free(r->username);
    rune_free(r->password);
    memset(r->http.auth, 0, sizeof r->http.auth);
    rune_free(r);
}

rune_status rune_reg_check_name(const char *name, rune_error *err)
{
    rune_oci_ref ref;
    rune_status st = rune_oci_ref_parse(name, &ref, err);
    if (st == RUNE_OK && (strcmp(ref.name, name) != 0 || ref.host[0]))
        st = RUNE_ERR(err, RUNE_E_ARG, "registry: '%s' is not a repository name", name);
    return st;
}

/* Absolute URL of a Location header (which may be a path). */
void rune_reg_absolute(const rune_registry *r, const char *loc, char *out, size_t cap)
{
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
        snprintf(out, cap, "%s", loc);
    else
        snprintf(out, cap, "%s%s", r->base, loc);
}

/* ---- push ----------------------------------------------------------------------------------- */

rune_status rune_reg_push_blob(rune_registry *r, const char *name, const char *digest,
                               const uint8_t *data, size_t len, rune_error *err)
{
    char url[3072];
    rune_http_resp resp = {0};
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", r->base, name, digest);
    rune_status st = rune_http_do(&r->http, "HEAD", url, NULL, NULL, 0, &resp, err);
    if (st == RUNE_OK && resp.status == 200) goto done; /* already there */
    snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/", r->base, name);
    if (st == RUNE_OK) st = rune_http_do(&r->http, "POST", url, NULL, NULL, 0, &resp, err);
    if (st == RUNE_OK && resp.status != 202) st = rune_http_error(&resp, "POST", url, err);
    if (st == RUNE_OK && !resp.location[0])
        st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: upload started without a Location");
    size_t off = 0;
    if (st == RUNE_OK && r->progress) r->progress(r->progress_user, digest, 0, len);
    while (st == RUNE_OK && off < len) {
        size_t n = len - off < r->chunk ? len - off : r->chunk;
        char range[80], clen[64];
        const char *hdrs[] = {"Content-Type: application/octet-stream", range, clen, NULL};
        snprintf(range, sizeof range, "Content-Range: %zu-%zu", off, off + n - 1);
        snprintf(clen, sizeof clen, "Content-Length: %zu", n);
        rune_reg_absolute(r, resp.location, url, sizeof url);
        st = rune_http_do(&r->http, "PATCH", url, hdrs, data + off, n, &resp, err);
        if (st == RUNE_OK && resp.status != 202) st = rune_http_error(&resp, "PATCH", url, err);
        if (st == RUNE_OK && !resp.location[0])
            st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: PATCH answered without a Location");
        off += n;
        if (st == RUNE_OK && r->progress) r->progress(r->progress_user, digest, off, len);
    }
    if (st == RUNE_OK) {
        char loc[2600], edig[128];
        rune_reg_absolute(r, resp.location, loc, sizeof loc);
        char *e = curl_easy_escape(r->http.curl, digest, 0);
        snprintf(edig, sizeof edig, "%s", e ? e : digest);
        curl_free(e);
        snprintf(url, sizeof url, "%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", edig);
        const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
        st = rune_http_do(&r->http, "PUT", url, hdrs, NULL, 0, &resp, err);
        if (st == RUNE_OK && resp.status != 201) st = rune_http_error(&resp, "PUT", url, err);
        if (st == RUNE_OK && resp.digest[0] && strcmp(resp.digest, digest) != 0)
            st = RUNE_ERR(err, RUNE_E_VERIFY, "registry: stored blob as %.19s..., sent %.19s...",
                          resp.digest, digest);
    }
done:
    rune_http_resp_free(&resp);
    return st;
}

rune_status rune_reg_put_manifest(rune_registry *r, const char *name, const char *ref,
                                  const char *media_type, const uint8_t *m, size_t mlen,
                                  char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    char url[1024], ctype[128], d[RUNE_DIGEST_STR_LEN];
    rune_digest_str(m, mlen, d);
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", r->base, name, ref);
    snprintf(ctype, sizeof ctype, "Content-Type: %s", media_type);
    const char *hdrs[] = {ctype, NULL};
    rune_http_resp resp = {0};
    rune_status st = rune_http_do(&r->http, "PUT", url, hdrs, m, mlen, &resp, err);
    if (st == RUNE_OK && resp.status != 201) st = rune_http_error(&resp, "PUT", url, err);
    if (st == RUNE_OK && resp.digest[0] && strcmp(resp.digest, d) != 0)
        st = RUNE_ERR(err, RUNE_E_VERIFY, "registry: manifest stored as %.19s..., sent %.19s...",
                      resp.digest, d);
    if (st == RUNE_OK && digest_out) memcpy(digest_out, d, sizeof d);
    rune_http_resp_free(&resp);
    return st;
}

rune_status rune_registry_push(rune_registry *r, rune_oci_store *store, const char *local_ref,
                               const char *name, const char *tag,
                               char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    char md[RUNE_DIGEST_STR_LEN];
    rune_status st = rune_reg_check_name(name, err);
    if (st == RUNE_OK && (!tag || !tag[0])) tag = "latest";
    if (st == RUNE_OK) st = rune_oci_store_resolve(store, local_ref, md, err);
    uint8_t *m = NULL;
    size_t mlen = 0;
    rune_oci_manifest *om = NULL;
    if (st == RUNE_OK) st = rune_oci_store_get_blob(store, md, &m, &mlen, err);
    if (st == RUNE_OK) st = rune_oci_manifest_parse((const char *)m, mlen, &om, err);
    for (size_t i = 0; st == RUNE_OK && i <= (om ? om->nlayers : 0); i++) {
        const rune_oci_desc *d = i == 0 ? &om->config : &om->layers[i - 1];
        uint8_t *b;
        size_t blen;
        st = rune_oci_store_get_blob(store, d->digest, &b, &blen, err);
        if (st == RUNE_OK) st = rune_reg_push_blob(r, name, d->digest, b, blen, err);
        rune_free(b);
    }
    if (st == RUNE_OK)
        st = rune_reg_put_manifest(r, name, tag, RUNE_OCI_MANIFEST_TYPE, m, mlen, digest_out, err);
    rune_oci_manifest_free(om);
    rune_free(m);
    return st;
}

/* ---- pull ----------------------------------------------------------------------------------- */

rune_status rune_reg_get_manifest(rune_registry *r, const char *name, const char *ref,
                                  const char *accept, rune_http_resp *resp, rune_error *err)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", r->base, name, ref);
    const char *hdrs[] = {accept, NULL};
    rune_status st = rune_http_do(&r->http, "GET", url, hdrs, NULL, 0, resp, err);
    if (st == RUNE_OK && resp->status != 200) st = rune_http_error(resp, "GET", url, err);
    if (st == RUNE_OK && resp->len > RUNE_REG_MANIFEST_MAX)
        st = RUNE_ERR(err, RUNE_E_LIMIT, "registry: manifest larger than %zu bytes",
                      RUNE_REG_MANIFEST_MAX);
    if (st == RUNE_OK && !resp->body)
        st = RUNE_ERR(err, RUNE_E_PROTOCOL, "registry: empty manifest");
    if (st == RUNE_OK) {
        char d[RUNE_DIGEST_STR_LEN];
        rune_digest_str(resp->body, resp->len, d);
        if (strncmp(ref, "sha256:", 7) == 0 && strcmp(ref, d) != 0)
            st = RUNE_ERR(err, RUNE_E_VERIFY, "registry: manifest %.19s... has digest %.19s...",
                          ref, d);
        else if (resp->digest[0] && strcmp(resp->digest, d) != 0)
            st = RUNE_ERR(err, RUNE_E_VERIFY,
                          "registry: manifest digest header %.19s... but "
                          "content hashes to %.19s...",
                          resp->digest, d);
        memcpy(resp->digest, d, sizeof d);
    }
    return st;
}

typedef struct blob_xfer {
    rune_registry *r;
    const rune_oci_desc *d;
} blob_xfer;

static void on_blob_bytes(void *user, uint64_t now)
{
    const blob_xfer *x = user;
    if (now < x->d->size) x->r->progress(x->r->progress_user, x->d->digest, now, x->d->size);
}

static rune_status fetch_blob(rune_registry *r, rune_oci_store *store, const char *name,
                              const rune_oci_desc *d, rune_error *err)
{
    if (rune_oci_store_has_blob(store, d->digest)) {
        uint8_t *b;
        size_t n;
        rune_status st = rune_oci_store_get_blob(store, d->digest, &b, &n, NULL);
        rune_free(b);
        if (st == RUNE_OK) return RUNE_OK; /* a corrupt local copy is fetched again */
    }
    char url[1024], got[RUNE_DIGEST_STR_LEN];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", r->base, name, d->digest);
    rune_http_resp resp = {0};
    blob_xfer x = {r, d};
    if (r->progress) {
        r->http.xfer = on_blob_bytes;
        r->http.xfer_user = &x;
        r->progress(r->progress_user, d->digest, 0, d->size);
    }
    rune_status st = rune_http_do(&r->http, "GET", url, NULL, NULL, 0, &resp, err);
    r->http.xfer = NULL;
    r->http.xfer_user = NULL;
    if (st == RUNE_OK && resp.status != 200) st = rune_http_error(&resp, "GET", url, err);
    if (st == RUNE_OK && r->progress) r->progress(r->progress_user, d->digest, d->size, d->size);
    if (st == RUNE_OK) {
        rune_digest_str(resp.body ? resp.body : (const uint8_t *)"", resp.len, got);
        if (strcmp(got, d->digest) != 0 || resp.len != d->size)
            st = RUNE_ERR(err, RUNE_E_VERIFY,
                          "registry: blob %.19s... arrived as %.19s... (%zu "
                          "bytes, want %llu)",
                          d->digest, got, resp.len, (unsigned long long)d->size);
    }
    if (st == RUNE_OK)
        st = rune_oci_store_put_blob(store, resp.body ? resp.body : (const uint8_t *)"", resp.len,
                                     NULL, err);
    rune_http_resp_free(&resp);
    return st;
}

rune_status rune_registry_pull(rune_registry *r, rune_oci_store *store, const char *name,
                               const char *tag_or_digest, const char *local_ref,
                               char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err)
{
    rune_status st = rune_reg_check_name(name, err);
    if (!tag_or_digest || !tag_or_digest[0]) tag_or_digest = "latest";
    rune_http_resp resp = {0};
    rune_oci_manifest *om = NULL;
    uint8_t *rune = NULL;
    size_t rlen = 0;
    char local[600];
    if (st == RUNE_OK)
        st = rune_reg_get_manifest(r, name, tag_or_digest, "Accept: " RUNE_OCI_MANIFEST_TYPE, &resp,
                                   err);
    if (st == RUNE_OK) st = rune_oci_manifest_parse((const char *)resp.body, resp.len, &om, err);
    const rune_oci_desc *layer = NULL;
    for (size_t i = 0; st == RUNE_OK && om && i < om->nlayers; i++)
        if (om->layers[i].media_type && !strcmp(om->layers[i].media_type, RUNE_WASM_LAYER_TYPE))
            layer = &om->layers[i];
    if (st == RUNE_OK && om->nlayers > RUNE_REG_MAX_LAYERS)
        st = RUNE_ERR(err, RUNE_E_LIMIT, "registry: %s:%s has %zu layers; a rune has one", name,
                      tag_or_digest, om->nlayers);
    if (st == RUNE_OK && (!layer || !om->config.media_type ||
                          strcmp(om->config.media_type, RUNE_WASM_CONFIG_TYPE) != 0))
        st = RUNE_ERR(err, RUNE_E_INVALID,
                      "registry: %s:%s is not a rune (no %s config and %s "
                      "layer)",
                      name, tag_or_digest, RUNE_WASM_CONFIG_TYPE, RUNE_WASM_LAYER_TYPE);
    if (st == RUNE_OK) st = fetch_blob(r, store, name, &om->config, err);
    for (size_t i = 0; st == RUNE_OK && i < om->nlayers; i++)
        st = fetch_blob(r, store, name, &om->layers[i], err);
    /* the rune itself must open and match the digest the manifest announces */
    if (st == RUNE_OK) st = rune_oci_store_get_blob(store, layer->digest, &rune, &rlen, err);
    if (st == RUNE_OK) {
        rune_container *c = NULL;
        st = rune_container_open(rune, rlen, &c, err);
        if (st == RUNE_OK && om->rune_digest && strcmp(om->rune_digest, c->digest) != 0)
            st = RUNE_ERR(err, RUNE_E_VERIFY,
                          "registry: rune digest %.19s... differs from the "
                          "annotation %.19s...",
                          c->digest, om->rune_digest);
        if (st == RUNE_OK && om->rune_manifest &&
            (strlen(om->rune_manifest) != c->manifest_json_len ||
             memcmp(om->rune_manifest, c->manifest_json, c->manifest_json_len) != 0))
            st = RUNE_ERR(err, RUNE_E_VERIFY,
                          "registry: the %s annotation differs from the "
                          "rune's own manifest",
                          RUNE_ANNOT_MANIFEST);
        rune_container_free(c);
    }
    if (st == RUNE_OK) st = rune_oci_store_put_blob(store, resp.body, resp.len, NULL, err);
    if (st == RUNE_OK) {
        if (local_ref)
            snprintf(local, sizeof local, "%s", local_ref);
        else if (strncmp(tag_or_digest, "sha256:", 7) == 0)
            snprintf(local, sizeof local, "%s:sha256-%s", name, tag_or_digest + 7);
        else
            snprintf(local, sizeof local, "%s:%s", name, tag_or_digest);
        st = rune_oci_store_set_tag(store, local, resp.digest, err);
    }
    if (st == RUNE_OK && digest_out) memcpy(digest_out, resp.digest, RUNE_DIGEST_STR_LEN);
    rune_free(rune);
    rune_oci_manifest_free(om);
    rune_http_resp_free(&resp);
    return st;
}

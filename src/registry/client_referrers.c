/*
 * client_referrers.c - rune signatures as OCI referrers: a manifest with a "subject" pointing at
 * the rune's manifest, found through the referrers API or, for registries without it
 * (docker-registry 2.8), the referrers tag schema: an image index at tag "sha256-HEX".
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

rune_status rune_registry_push_signature(rune_registry *r, const char *name,
                                         const char *subject_digest, const uint8_t *sig,
                                         size_t sig_len, char digest_out[RUNE_DIGEST_STR_LEN],
                                         rune_error *err)
{
    rune_status st = rune_reg_check_name(name, err);
    if (st == RUNE_OK && !rune_digest_valid(subject_digest))
        st = RUNE_ERR(err, RUNE_E_ARG, "registry: subject must be a sha256 digest");
    if (st != RUNE_OK) return st;
    /* the subject must exist: its size goes into the descriptor */
    rune_http_resp resp = {0};
    st = rune_reg_get_manifest(r, name, subject_digest, "Accept: " RUNE_OCI_MANIFEST_TYPE, &resp,
                               err);
    size_t subject_size = resp.len;
    rune_http_resp_free(&resp);
    char sig_digest[RUNE_DIGEST_STR_LEN], md[RUNE_DIGEST_STR_LEN], *m = NULL, *idx = NULL;
    size_t mlen = 0, ilen = 0;
    rune_digest_str(sig, sig_len, sig_digest);
    if (st == RUNE_OK)
        st = rune_reg_push_blob(r, name, RUNE_OCI_EMPTY_DIGEST, (const uint8_t *)"{}", 2, err);
    if (st == RUNE_OK) st = rune_reg_push_blob(r, name, sig_digest, sig, sig_len, err);
    if (st == RUNE_OK)
        st = rune_oci_signature_manifest(subject_digest, subject_size, sig_digest, sig_len, &m,
                                         &mlen, err);
    if (st == RUNE_OK) {
        rune_digest_str(m, mlen, md);
        st = rune_reg_put_manifest(r, name, md, RUNE_OCI_MANIFEST_TYPE, (const uint8_t *)m, mlen,
                                   NULL, err);
    }
    /* referrers tag schema fallback: index at tag sha256-HEX lists every referrer */
    char ftag[80];
    snprintf(ftag, sizeof ftag, "sha256-%s", subject_digest + 7);
    rune_oci_desc *d = NULL;
    size_t n = 0;
    if (st == RUNE_OK) {
        rune_error e2;
        rune_status gs =
            rune_reg_get_manifest(r, name, ftag, "Accept: " RUNE_OCI_INDEX_TYPE, &resp, &e2);
        if (gs == RUNE_OK)
            st = rune_oci_index_parse((const char *)resp.body, resp.len, &d, &n, err);
        else if (gs != RUNE_E_NOT_FOUND)
            st = RUNE_ERR(err, gs, "%s", e2.msg);
        rune_http_resp_free(&resp);
    }
    if (st == RUNE_OK && !d) {
        d = rune_calloc(1, sizeof *d);
        if (!d) st = RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
    }
    int present = 0;
    for (size_t i = 0; st == RUNE_OK && i < n; i++)
        present |= strcmp(d[i].digest, md) == 0;
    if (st == RUNE_OK && !present) {
        rune_oci_desc *nd = &d[n]; /* parse leaves a spare slot */
        memset(nd, 0, sizeof *nd);
        memcpy(nd->digest, md, sizeof md);
        nd->size = mlen;
        nd->media_type = rune_strdup(RUNE_OCI_MANIFEST_TYPE);
        nd->artifact_type = rune_strdup(RUNE_SIGNATURE_ARTIFACT_TYPE);
        n++;
        if (!nd->media_type || !nd->artifact_type)
            st = RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
    }
    if (st == RUNE_OK) st = rune_oci_index_build(d, n, &idx, &ilen, err);
    if (st == RUNE_OK)
        st = rune_reg_put_manifest(r, name, ftag, RUNE_OCI_INDEX_TYPE, (const uint8_t *)idx, ilen,
                                   NULL, err);
    if (st == RUNE_OK && digest_out) memcpy(digest_out, md, sizeof md);
    rune_oci_descs_free(d, n);
    rune_free(m);
    rune_free(idx);
    return st;
}

void rune_registry_sigs_free(rune_registry_sig *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        rune_free(s[i].data);
    rune_free(s);
}

rune_status rune_registry_signatures(rune_registry *r, const char *name, const char *subject_digest,
                                     rune_registry_sig **out, size_t *n, rune_error *err)
{
    *out = NULL;
    *n = 0;
    rune_status st = rune_reg_check_name(name, err);
    if (st == RUNE_OK && !rune_digest_valid(subject_digest))
        st = RUNE_ERR(err, RUNE_E_ARG, "registry: subject must be a sha256 digest");
    if (st != RUNE_OK) return st;
    char url[1024], ftag[80];
    rune_http_resp resp = {0};
    rune_oci_desc *d = NULL;
    size_t nd = 0;
    /* OCI 1.1 referrers API first, then the tag schema */
    snprintf(url, sizeof url, "%s/v2/%s/referrers/%s", r->base, name, subject_digest);
    const char *hdrs[] = {"Accept: " RUNE_OCI_INDEX_TYPE, NULL};
    st = rune_http_do(&r->http, "GET", url, hdrs, NULL, 0, &resp, err);
    if (st == RUNE_OK && resp.status == 200) {
        st = rune_oci_index_parse((const char *)resp.body, resp.len, &d, &nd, err);
    } else if (st == RUNE_OK) {
        rune_error e2;
        snprintf(ftag, sizeof ftag, "sha256-%s", subject_digest + 7);
        rune_status gs =
            rune_reg_get_manifest(r, name, ftag, "Accept: " RUNE_OCI_INDEX_TYPE, &resp, &e2);
        if (gs == RUNE_OK)
            st = rune_oci_index_parse((const char *)resp.body, resp.len, &d, &nd, err);
        else if (gs != RUNE_E_NOT_FOUND)
            st = RUNE_ERR(err, gs, "%s", e2.msg);
    }
    rune_http_resp_free(&resp);
    rune_registry_sig *sigs = st == RUNE_OK ? rune_calloc(nd + 1, sizeof *sigs) : NULL;
    if (st == RUNE_OK && !sigs) st = RUNE_ERR(err, RUNE_E_NOMEM, "registry: out of memory");
    if (st == RUNE_OK && nd > RUNE_REG_MAX_REFERRERS)
        st = RUNE_ERR(err, RUNE_E_LIMIT, "registry: %zu referrers of %.19s...; at most %d are read",
                      nd, subject_digest, RUNE_REG_MAX_REFERRERS);
    for (size_t i = 0; st == RUNE_OK && i < nd; i++) {
        if (d[i].artifact_type && strcmp(d[i].artifact_type, RUNE_SIGNATURE_ARTIFACT_TYPE) != 0)
            continue;
        rune_oci_manifest *om = NULL;
        st = rune_reg_get_manifest(r, name, d[i].digest, "Accept: " RUNE_OCI_MANIFEST_TYPE, &resp,
                                   err);
        if (st == RUNE_OK)
            st = rune_oci_manifest_parse((const char *)resp.body, resp.len, &om, err);
        rune_http_resp_free(&resp);
        if (st == RUNE_OK && om->nlayers == 1 && om->has_subject &&
            strcmp(om->subject.digest, subject_digest) == 0) {
            snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", r->base, name, om->layers[0].digest);
            st = rune_http_do(&r->http, "GET", url, NULL, NULL, 0, &resp, err);
            if (st == RUNE_OK && resp.status != 200) st = rune_http_error(&resp, "GET", url, err);
            char got[RUNE_DIGEST_STR_LEN];
            if (st == RUNE_OK) {
                rune_digest_str(resp.body ? resp.body : (const uint8_t *)"", resp.len, got);
                if (strcmp(got, om->layers[0].digest) != 0)
                    st = RUNE_ERR(err, RUNE_E_VERIFY, "registry: signature blob digest mismatch");
            }
            if (st == RUNE_OK) {
                sigs[*n].data = resp.body;
                sigs[*n].len = resp.len;
                resp.body = NULL;
                (*n)++;
            }
            rune_http_resp_free(&resp);
        }
        rune_oci_manifest_free(om);
    }
    rune_oci_descs_free(d, nd);
    if (st != RUNE_OK) {
        rune_registry_sigs_free(sigs, *n);
        *n = 0;
        sigs = NULL;
    }
    *out = sigs;
    return st;
}

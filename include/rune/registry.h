/*
 * registry.h - runes as OCI artifacts: a local OCI image-layout store and an OCI Distribution
 * client.
 *
 * A rune is stored as an OCI image manifest in the CNCF WebAssembly artifact layout:
 *   config       application/vnd.wasm.config.v0+json
 *                {"architecture":"wasm","layerDigests":[...],"os":"wasip1"}
 *   layer        application/wasm: the whole .rune file (one layer)
 *   annotations  (`skopeo inspect --raw` shows them; skopeo 1.9 refuses plain `inspect` for any
 *                artifact whose config is not an image config)
 *     org.runic.manifest                the rune manifest JSON (canonical, manifest.h)
 *     org.runic.rune.digest             the rune digest (container.h; unchanged by signing)
 *     org.opencontainers.image.title    NAME.rune
 *     org.opencontainers.image.version  the manifest's version
 * A signature can travel as an OCI referrer: a manifest with artifactType
 * application/vnd.runic.signature.v1+json, the empty config, one layer holding the rune.signature
 * payload (sign.h), and "subject" naming the rune's manifest.
 *
 * References: [HOST[:PORT]/]NAME[:TAG][@sha256:HEX]; NAME is lowercase path components
 * ([a-z0-9]+ joined by . _ __ - and /); TAG defaults to "latest". HOST is recognised by a '.' or
 * ':' or being "localhost".
 *
 * Local store: an OCI image layout directory (oci-layout, index.json, blobs/sha256/HEX). Each tag
 * is an index.json entry whose org.opencontainers.image.ref.name annotation is "NAME:TAG". Every
 * write is atomic (temp file, fsync, rename); blobs are verified against their digest when read;
 * removing a tag garbage-collects blobs no longer reachable. Index updates and garbage collection
 * hold an exclusive flock on DIR/index.lock, so concurrent processes do not lose each other's tags
 * (a pull racing an rm may lose a not-yet-tagged blob; that pull then fails and can be retried).
 *
 * Distribution client (libcurl): push = per blob HEAD, else POST an upload, PATCH it in chunks, PUT
 * ?digest=; then PUT the manifest by tag. Pull = GET the manifest by tag or digest (Accept: OCI
 * manifest), verify its digest, GET and verify each blob, put all into the local store. Auth: a 401
 * with "WWW-Authenticate: Bearer realm=..,service=..,scope=.." fetches a token (with basic
 * credentials when given) and retries; "Basic" challenges send the credentials. Registry error
 * bodies ({"errors":[{"code","message"}]}) are quoted in the message.
 */
#ifndef RUNE_REGISTRY_H
#define RUNE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "rune/manifest.h"
#include "rune/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RUNE_OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define RUNE_OCI_INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define RUNE_OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define RUNE_WASM_CONFIG_TYPE "application/vnd.wasm.config.v0+json"
#define RUNE_WASM_LAYER_TYPE "application/wasm"
#define RUNE_SIGNATURE_ARTIFACT_TYPE "application/vnd.runic.signature.v1+json"
#define RUNE_ANNOT_MANIFEST "org.runic.manifest"
#define RUNE_ANNOT_RUNE_DIGEST "org.runic.rune.digest"
#define RUNE_ANNOT_REF_NAME "org.opencontainers.image.ref.name"

/* ---- references ------------------------------------------------------------------------------ */

typedef struct rune_oci_ref {
    char host[256];                   /* "" for none */
    char name[256];                   /* repository path */
    char tag[129];                    /* "" when only a digest was given */
    char digest[RUNE_DIGEST_STR_LEN]; /* "" when not given */
} rune_oci_ref;

rune_status rune_oci_ref_parse(const char *s, rune_oci_ref *out, rune_error *err);
/* "NAME:TAG" or "NAME@DIGEST" (without host) into buf. */
void rune_oci_ref_local(const rune_oci_ref *r, char *buf, size_t cap);

/* ---- OCI JSON documents ---------------------------------------------------------------------- */

typedef struct rune_oci_desc {
    char *media_type;
    char digest[RUNE_DIGEST_STR_LEN];
    uint64_t size;
    char *ref_name;      /* annotation org.opencontainers.image.ref.name, or NULL */
    char *artifact_type; /* or NULL */
} rune_oci_desc;

typedef struct rune_oci_manifest {
    char *media_type;    /* may be NULL */
    char *artifact_type; /* may be NULL */
    rune_oci_desc config;
    rune_oci_desc *layers;
    size_t nlayers;
    int has_subject;
    rune_oci_desc subject;
    char *rune_manifest; /* annotation org.runic.manifest, or NULL */
    char *rune_digest;   /* annotation org.runic.rune.digest, or NULL */
} rune_oci_manifest;

/* Strict readers for untrusted JSON (registry responses, index.json): wrong types are refused with
 * their path, digests must be well-formed, sizes non-negative integers. */
rune_status rune_oci_manifest_parse(const char *json, size_t len, rune_oci_manifest **out,
                                    rune_error *err);
void rune_oci_manifest_free(rune_oci_manifest *m);
rune_status rune_oci_index_parse(const char *json, size_t len, rune_oci_desc **out, size_t *n,
                                 rune_error *err);
void rune_oci_descs_free(rune_oci_desc *d, size_t n);

/* The OCI manifest and config of a rune (canonical JSON, rune_malloc'd). The rune is opened and
 * verified first. */
rune_status rune_oci_rune_manifest(const uint8_t *rune, size_t len, char **config,
                                   size_t *config_len, char **manifest, size_t *manifest_len,
                                   rune_error *err);

/* ---- local store ----------------------------------------------------------------------------- */

typedef struct rune_oci_store rune_oci_store;

/* Open (creating if missing) an OCI layout directory. dir NULL = $RUNE_STORE or ~/.rune/oci. */
rune_status rune_oci_store_open(const char *dir, rune_oci_store **out, rune_error *err);
void rune_oci_store_close(rune_oci_store *s);
const char *rune_oci_store_path(const rune_oci_store *s);

/* Blobs: put (idempotent; *digest_out may be NULL), has, get (verified; *out rune_malloc'd). */
rune_status rune_oci_store_put_blob(rune_oci_store *s, const void *data, size_t len,
                                    char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err);
int rune_oci_store_has_blob(rune_oci_store *s, const char *digest);
rune_status rune_oci_store_get_blob(rune_oci_store *s, const char *digest, uint8_t **out,
                                    size_t *out_len, rune_error *err);

/* Store a rune under ref ("NAME[:TAG]"); *digest_out (may be NULL) gets its manifest digest. */
rune_status rune_oci_store_add_rune(rune_oci_store *s, const uint8_t *rune, size_t len,
                                    const char *ref, char digest_out[RUNE_DIGEST_STR_LEN],
                                    rune_error *err);
/* Point ref at an OCI manifest already stored as a blob (its digest). */
rune_status rune_oci_store_set_tag(rune_oci_store *s, const char *ref, const char *digest,
                                   rune_error *err);
/* Resolve NAME[:TAG] or NAME@DIGEST to a manifest digest. RUNE_E_NOT_FOUND if unknown. */
rune_status rune_oci_store_resolve(rune_oci_store *s, const char *ref,
                                   char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err);
/* The rune bytes of ref (layer verified). *out rune_malloc'd. */
rune_status rune_oci_store_get_rune(rune_oci_store *s, const char *ref, uint8_t **out,
                                    size_t *out_len, rune_error *err);
rune_status rune_oci_store_tag(rune_oci_store *s, const char *src, const char *dst,
                               rune_error *err);
/* Remove a tag (or every tag of NAME@DIGEST), then garbage-collect; *freed (may be NULL) gets the
 * number of blobs deleted. */
rune_status rune_oci_store_remove(rune_oci_store *s, const char *ref, size_t *freed,
                                  rune_error *err);
rune_status rune_oci_store_gc(rune_oci_store *s, size_t *freed, rune_error *err);

typedef struct rune_oci_entry {
    char ref[400]; /* NAME:TAG */
    char digest[RUNE_DIGEST_STR_LEN];
    uint64_t size; /* of the manifest */
} rune_oci_entry;
/* Every tag in the store, sorted by ref. *out rune_malloc'd (may be NULL when *n == 0). */
rune_status rune_oci_store_list(rune_oci_store *s, rune_oci_entry **out, size_t *n,
                                rune_error *err);

/* ---- Distribution client --------------------------------------------------------------------- */

typedef struct rune_registry_opts {
    const char *username; /* basic credentials (also used at the token endpoint); may be NULL */
    const char *password;
    int plain_http;       /* talk http:// instead of https:// */
    int insecure_tls;     /* do not verify TLS certificates */
    size_t chunk_size;    /* PATCH chunk size; 0 = 1 MiB */
    long timeout_seconds; /* per request; 0 = 60 */
    /* Called as blob bytes move (push: after each chunk; pull: as bytes arrive), with the blob's
     * digest, the bytes moved so far and its size; done == total once per blob. NULL: none. */
    void (*progress)(void *user, const char *digest, uint64_t done, uint64_t total);
    void *progress_user;
} rune_registry_opts;

typedef struct rune_registry rune_registry;

/* host is "HOST[:PORT]"; opts may be NULL (https, anonymous). The first call initialises libcurl
 * globally: make it from one thread before starting others. A client is used by one thread at a
 * time. */
rune_status rune_registry_open(const char *host, const rune_registry_opts *opts,
                               rune_registry **out, rune_error *err);
void rune_registry_close(rune_registry *r);

/* Push the local ref (from store) to name:tag on the registry; *digest_out gets the manifest
 * digest. Blobs the registry already has are not sent again. */
rune_status rune_registry_push(rune_registry *r, rune_oci_store *store, const char *local_ref,
                               const char *name, const char *tag,
                               char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err);
/* Pull name:tag or name@digest into the store under local_ref (NULL = "name:tag", or for a digest
 * "name:sha256-HEX"). Every digest is verified; the rune is opened and checked before it is
 * tagged. */
rune_status rune_registry_pull(rune_registry *r, rune_oci_store *store, const char *name,
                               const char *tag_or_digest, const char *local_ref,
                               char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err);
/* Tags of a repository: *tags is an array of *n rune_malloc'd strings (free with
 * rune_registry_tags_free). */
rune_status rune_registry_tags(rune_registry *r, const char *name, char ***tags, size_t *n,
                               rune_error *err);
void rune_registry_tags_free(char **tags, size_t n);
/* Push a signature payload as an OCI referrer of name@subject_digest; also updates the referrers
 * fallback tag "sha256-HEX" (an image index) for registries without the referrers API. */
rune_status rune_registry_push_signature(rune_registry *r, const char *name,
                                         const char *subject_digest, const uint8_t *sig,
                                         size_t sig_len, char digest_out[RUNE_DIGEST_STR_LEN],
                                         rune_error *err);
/* The signature payloads referring to name@subject_digest (via the referrers API, else the fallback
 * tag). *out is an array of *n payloads (each rune_malloc'd with a length); free with
 * rune_registry_sigs_free. */
typedef struct rune_registry_sig {
    uint8_t *data;
    size_t len;
} rune_registry_sig;
rune_status rune_registry_signatures(rune_registry *r, const char *name, const char *subject_digest,
                                     rune_registry_sig **out, size_t *n, rune_error *err);
void rune_registry_sigs_free(rune_registry_sig *s, size_t n);

/* Parse a WWW-Authenticate header value ("Bearer realm=\"..\",service=\"..\",scope=\"..\"").
 * scheme/realm/service/scope are filled (""-terminated, truncated to cap). Returns 0 on success. */
int rune_registry_parse_challenge(const char *header, char *scheme, char *realm, char *service,
                                  char *scope, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

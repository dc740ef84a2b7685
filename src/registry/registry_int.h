/*
 * registry_int.h - shared between the files of src/registry: JSON builders for OCI documents and
 * the store's internals the client needs.
 */
#ifndef RUNE_REGISTRY_INT_H
#define RUNE_REGISTRY_INT_H

#include <stddef.h>

#include "http_int.h"
#include "rune/registry.h"

/* Manifests larger than this are refused (they are a few KiB). */
#define RUNE_REG_MANIFEST_MAX ((size_t)4 << 20)
/* A rune has one layer; a pull refuses manifests with more than this (each would be a download). */
#define RUNE_REG_MAX_LAYERS 16
/* Referrers read per subject (each is two requests). */
#define RUNE_REG_MAX_REFERRERS 256

struct rune_registry {
    rune_http http;
    char base[300]; /* scheme://host */
    size_t chunk;
    char *username, *password;
    void (*progress)(void *user, const char *digest, uint64_t done, uint64_t total);
    void *progress_user;
};

struct rune_oci_store {
    char *dir;
};

/* Shared by store.c and store_gc.c. PATH_MAX-sized out buffers. */
void rune_store_path_of(const rune_oci_store *s, const char *rel, char *out);
/* Exclusive flock on DIR/index.lock: the fd to pass to unlock, or -1 with err set. */
int rune_store_lock_store(rune_oci_store *s, rune_error *err);
void rune_store_unlock_store(int fd);
rune_status rune_store_read_index(rune_oci_store *s, rune_oci_desc **d, size_t *n, rune_error *err);
rune_status rune_store_write_index(rune_oci_store *s, const rune_oci_desc *d, size_t n,
                                   rune_error *err);

/* Shared by client.c, client_tags.c, client_referrers.c. */
rune_status rune_reg_check_name(const char *name, rune_error *err);
/* Absolute URL of a Location header (which may be a path). */
void rune_reg_absolute(const rune_registry *r, const char *loc, char *out, size_t cap);
/* Send a blob unless the registry has it (HEAD, then POST + PATCH chunks + PUT ?digest=). */
rune_status rune_reg_push_blob(rune_registry *r, const char *name, const char *digest,
                               const uint8_t *data, size_t len, rune_error *err);
/* PUT a manifest under ref (tag or digest); checks the digest the registry reports. */
rune_status rune_reg_put_manifest(rune_registry *r, const char *name, const char *ref,
                                  const char *media_type, const uint8_t *m, size_t mlen,
                                  char digest_out[RUNE_DIGEST_STR_LEN], rune_error *err);
/* GET a manifest with an Accept header line; its digest is verified (against ref when ref is a
 * digest, and against Docker-Content-Digest) and left in resp->digest. */
rune_status rune_reg_get_manifest(rune_registry *r, const char *name, const char *ref,
                                  const char *accept, rune_http_resp *resp, rune_error *err);

/* sha256 of "{}", the OCI empty descriptor's blob */
#define RUNE_OCI_EMPTY_DIGEST                                                                      \
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

/* The signature referrer manifest for a subject (canonical JSON, rune_malloc'd). */
rune_status rune_oci_signature_manifest(const char *subject_digest, size_t subject_size,
                                        const char *sig_digest, size_t sig_len, char **out,
                                        size_t *out_len, rune_error *err);
/* An image index listing the given descriptors (for the referrers fallback tag). */
rune_status rune_oci_index_build(const rune_oci_desc *d, size_t n, char **out, size_t *out_len,
                                 rune_error *err);

#endif

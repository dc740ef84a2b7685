/*
 * registry_int.h - shared between the files of src/registry: JSON builders for OCI documents and
 * the store's internals the client needs.
 */
#ifndef RUNE_REGISTRY_INT_H
#define RUNE_REGISTRY_INT_H

#include <stddef.h>

#include "rune/registry.h"

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

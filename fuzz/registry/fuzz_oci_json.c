/*
 * fuzz_oci_json.c - libFuzzer harness for the readers of untrusted registry input: OCI image
 * manifests, image indexes (index.json, referrers), WWW-Authenticate challenges and references.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_error err;
    rune_oci_manifest *m = NULL;
    if (rune_oci_manifest_parse((const char *)data, size, &m, &err) == RUNE_OK)
        rune_oci_manifest_free(m);
    rune_oci_desc *d = NULL;
    size_t n = 0;
    if (rune_oci_index_parse((const char *)data, size, &d, &n, &err) == RUNE_OK)
        rune_oci_descs_free(d, n);
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char scheme[256], realm[256], service[256], scope[256];
    rune_registry_parse_challenge(s, scheme, realm, service, scope, 256);
    rune_oci_ref r;
    rune_oci_ref_parse(s, &r, &err);
    free(s);
    return 0;
}

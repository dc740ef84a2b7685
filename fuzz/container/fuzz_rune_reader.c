/*
 * fuzz_rune_reader.c - libFuzzer harness for the .rune reader: section walk, manifest decode,
 * model/resource verification, digest and signature check. Property: a rune that opens has a
 * manifest whose canonical encoding decodes to the same encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rune/alloc.h"
#include "rune/container.h"
#include "rune/manifest.h"
#include "rune/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rune_error err;
    rune_container *c = NULL;
    if (rune_container_open(data, size, &c, &err) == RUNE_OK) {
        char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        rune_manifest *m = NULL;
        if (rune_manifest_encode(c->manifest, &a, &al, &err) != RUNE_OK) abort();
        if (rune_manifest_decode(a, al, &m, &err) != RUNE_OK) abort();
        if (rune_manifest_encode(m, &b, &bl, &err) != RUNE_OK) abort();
        if (al != bl || memcmp(a, b, al) != 0) abort();
        rune_free(a);
        rune_free(b);
        rune_manifest_free(m);
    }
    rune_container_free(c);
    rune_verify_result res;
    rune_trust_policy p = {0};
    p.require_signature = 1;
    rune_sign_verify(data, size, &p, &res, &err);
    /* the manifest decoder on its own, on the raw input */
    rune_manifest *m = NULL;
    if (rune_manifest_decode((const char *)data, size, &m, &err) == RUNE_OK) rune_manifest_free(m);
    return 0;
}
